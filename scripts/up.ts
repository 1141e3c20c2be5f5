import { existsSync } from "node:fs";
import path from "node:path";
import { migrate } from "@/lib/db/migrate";
import { ensurePostgres, ensureRedis, findFreePort, type RunningService } from "./lib/services";
import {
  assertRunning,
  nextBin,
  runToCompletion,
  startServing,
  startWeb,
  startWorker,
  waitForHttp,
  type ManagedProcess,
} from "./lib/platform";

/**
 * `npm run up`: brings the whole platform up on this machine. PostgreSQL and Redis are the ones in
 * DATABASE_URL / REDIS_URL, else an embedded PostgreSQL and a local redis-server; then migrations,
 * the demo seed, the web app, the worker and a serving replica. Once they are up, one that dies is
 * restarted (with backoff, saying why); the others keep running. Ctrl-C or SIGTERM stops everything
 * it started and waits for it; so does a crash of the launcher itself, and nothing it started
 * outlives even a SIGKILL of it (scripts/lib/process-guard.ts).
 * `--dev` runs the web app with `next dev` instead of a production build.
 */
if (existsSync(".env")) process.loadEnvFile(".env");
const dev = process.argv.includes("--dev");
const dataDir = path.resolve(process.env.DATA_DIR ?? ".data");
const services: RunningService[] = [];
const processes: ManagedProcess[] = [];

let stopping: Promise<never> | undefined;
function stopAll(code: number): Promise<never> {
  stopping ??= (async () => {
    if (processes.length > 0) console.error("[modelyard] stopping");
    // The platform's processes first, while the database and Redis they use are still there.
    await Promise.allSettled(processes.map((child) => child.stop()));
    await Promise.allSettled(services.map((service) => service.stop()));
    process.exit(code);
  })();
  return stopping;
}
process.on("SIGINT", () => void stopAll(130));
process.on("SIGTERM", () => void stopAll(143));
const fail = (error: unknown) => {
  console.error(`[modelyard] ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
};
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

try {
  const postgres = await ensurePostgres({ databaseUrl: process.env.DATABASE_URL, dataDir, database: "modelyard" });
  services.push(postgres);
  const redis = await ensureRedis({ redisUrl: process.env.REDIS_URL });
  services.push(redis);
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1" };
  Object.assign(process.env, env);

  const migrated = await migrate(postgres.url);
  if (migrated.applied.length > 0) console.error(`[modelyard] applied migrations: ${migrated.applied.join(", ")}`);
  const { seedDemo } = await import("@/prisma/seed");
  await seedDemo();

  if (!dev) {
    console.error("[modelyard] building the web app (next build)");
    const code = await runToCompletion(nextBin, ["build"], env);
    if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
  }
  const port = await findFreePort(Number(process.env.PORT ?? 3000));
  const servingPort = await findFreePort(Number(process.env.SERVING_PORT ?? 8501));
  // The dashboard shows endpoint URLs, so it must know where the replica really listens.
  const servingEnv = {
    ...env,
    SERVING_PUBLIC_URL: process.env.SERVING_PUBLIC_URL ?? `http://localhost:${servingPort}`,
  };
  const web = startWeb(servingEnv, port, dev ? "dev" : "start");
  const serving = startServing(servingEnv, servingPort);
  processes.push(web, startWorker(env), serving);
  // A process that cannot even start (a port taken, a bad setting) would only die again: stop and say why.
  await waitForHttp(`http://127.0.0.1:${port}/api/health`, 180_000, web);
  await waitForHttp(`http://127.0.0.1:${servingPort}/v2/health/live`, 60_000, serving);
  assertRunning(processes);
  for (const child of processes) child.restartOnExit();
  console.error(
    `\n  Modelyard is running: http://127.0.0.1:${port}\n  Endpoints answer at ${servingEnv.SERVING_PUBLIC_URL}\n  Press Ctrl-C to stop.\n`,
  );
} catch (error) {
  fail(error);
}
