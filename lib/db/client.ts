import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";
import { config } from "@/lib/config";

export type Db = PrismaClient;
/** The client a `$transaction` callback gets. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export function createDb(databaseUrl: string = config().DATABASE_URL): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl }),
    // A burst of uploads queues for the pool's connections; waiting beats refusing (Prisma's default is 2 s).
    transactionOptions: { maxWait: 15_000 },
  });
}

const globalForDb = globalThis as unknown as { modelyardDb?: Db };

/** The process-wide client. Services take a `Db` parameter defaulting to this, so tests pass their own. */
export function db(): Db {
  globalForDb.modelyardDb ??= createDb();
  return globalForDb.modelyardDb;
}
