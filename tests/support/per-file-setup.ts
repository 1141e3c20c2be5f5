import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, inject } from "vitest";
import { createDatabase, dropDatabase } from "@/scripts/lib/databases";

/**
 * Each test file gets its own database (cloned from the migrated template), its own Redis key
 * prefix and its own data directory, so files run in parallel without seeing each other.
 */
const id = `${process.pid}_${randomBytes(4).toString("hex")}`;
const databaseName = `modelyard_t_${id}`;
const databaseUrl = inject("databaseUrl");
const dataDir = await mkdtemp(path.join(os.tmpdir(), "modelyard-test-"));

process.env.DATABASE_URL = await createDatabase(databaseUrl, databaseName, inject("templateDatabase"));
process.env.REDIS_URL = inject("redisUrl");
process.env.REDIS_PREFIX = `modelyard-test:${id}`;
process.env.DATA_DIR = dataDir;
process.env.LOG_LEVEL ??= "warn";

afterAll(async () => {
  const { closeQueues } = await import("@/lib/jobs");
  await closeQueues();
  const { closeDeploymentPublisher } = await import("@/lib/serving/notify");
  await closeDeploymentPublisher();
  const globals = globalThis as { modelyardDb?: { $disconnect(): Promise<void> } };
  await globals.modelyardDb?.$disconnect();
  await dropDatabase(databaseUrl, databaseName);
  await rm(dataDir, { recursive: true, force: true });
  const { Redis } = await import("ioredis");
  const redis = new Redis(inject("redisUrl"));
  const keys = await redis.keys(`${process.env.REDIS_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});
