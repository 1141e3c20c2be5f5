import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrate } from "@/lib/db/migrate";
import { createDatabase, dropDatabase } from "@/scripts/lib/databases";
import { ensurePostgres, ensureRedis } from "@/scripts/lib/services";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

/**
 * Once per run: the services (DATABASE_URL / REDIS_URL, else embedded ones) and a migrated template
 * database that every test file clones into a database of its own.
 */
export default async function setup(project: TestProject) {
  const postgres = await ensurePostgres({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: path.resolve(".data/test"),
    database: "postgres",
  });
  const redis = await ensureRedis({ redisUrl: process.env.REDIS_URL });
  const templateDatabase = `modelyard_template_${process.pid}`;
  await dropDatabase(postgres.url, templateDatabase);
  await migrate(await createDatabase(postgres.url, templateDatabase));
  project.provide("databaseUrl", postgres.url);
  project.provide("templateDatabase", templateDatabase);
  project.provide("redisUrl", redis.url);
  return async () => {
    await dropDatabase(postgres.url, templateDatabase);
    await redis.stop();
    await postgres.stop();
  };
}
