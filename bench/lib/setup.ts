import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { migrate } from "@/lib/db/migrate";
import { createDatabase, dropDatabase } from "../../scripts/lib/databases";
import { nextBin, startWeb, waitForHttp, type ChildEnv, type ManagedProcess } from "../../scripts/lib/platform";
import { ensurePostgres, ensureRedis, findFreePort } from "../../scripts/lib/services";

/**
 * What both benchmarks share: services (embedded PostgreSQL under .data/bench and a redis-server,
 * or DATABASE_URL / REDIS_URL), a fresh database per run, a production build in .next-bench (so a
 * developer's .next is never touched), the `next start` server, and teardown in reverse order.
 */

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const DIST_DIR = ".next-bench";
export const BENCH_DATA_DIR = path.join(ROOT, ".data/bench");

// scripts/lib/platform starts binaries by relative path, and Next takes the project from the cwd.
process.chdir(ROOT);

export const say = (message: string) => process.stderr.write(`[bench] ${message}\n`);

export function hasFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function numberFlag(name: string, fallback: number, options: { allowZero?: boolean } = {}): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !options.allowZero)) {
    throw new Error(`--${name} needs a ${options.allowZero ? "non-negative" : "positive"} number`);
  }
  return value;
}

/** `--name a,b,c` as numbers (each checked like numberFlag), or `fallback`. */
export function numberListFlag(name: string, fallback: number[], options: { allowZero?: boolean } = {}): number[] {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const values = (process.argv[index + 1] ?? "").split(",").map(Number);
  if (
    values.length === 0 ||
    values.some((value) => !Number.isFinite(value) || value < 0 || (value === 0 && !options.allowZero))
  ) {
    throw new Error(
      `--${name} needs a comma-separated list of ${options.allowZero ? "non-negative" : "positive"} numbers`,
    );
  }
  return values;
}

/** Teardown steps, run last-in first-out, each one even when an earlier one fails. */
export class Teardown {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        say(`teardown: ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/**
 * Runs a benchmark: exit code 0 when it ran to the end (whether or not targets were met), 1 when
 * it crashed. Ctrl-C still tears everything down.
 */
export function runBench(main: (teardown: Teardown) => Promise<void>): void {
  const teardown = new Teardown();
  let stopping = false;
  const finish = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await teardown.runAll();
    process.exit(code);
  };
  process.on("SIGINT", () => void finish(130));
  process.on("SIGTERM", () => void finish(143));
  main(teardown).then(
    () => finish(0),
    (error: unknown) => {
      say(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return finish(1);
    },
  );
}

// --- Build -----------------------------------------------------------------------------------

const SOURCE_DIRS = ["app", "components", "lib", "public"];
const SOURCE_FILES = ["next.config.ts", "package.json", "package-lock.json", "tsconfig.json", "postcss.config.mjs"];

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return /\.test\.tsx?$/.test(entry) ? 0 : info.mtimeMs;
  const names = await readdir(entry);
  const times = await Promise.all(names.map((name) => newestMtime(path.join(entry, name))));
  return Math.max(info.mtimeMs, ...times);
}

/** Why a build is needed, or undefined when .next-bench is newer than every source file. */
async function staleReason(): Promise<string | undefined> {
  const buildId = path.join(DIST_DIR, "BUILD_ID");
  if (!existsSync(buildId)) return `${buildId} is missing`;
  const built = (await stat(buildId)).mtimeMs;
  const sources = Math.max(...(await Promise.all([...SOURCE_DIRS, ...SOURCE_FILES].map(newestMtime))));
  return sources > built ? "sources changed since the last bench build" : undefined;
}

/**
 * `next build` rewrites tsconfig.json (adding .next-bench/types to "include", re-indenting it) and
 * next-env.d.ts for the dist dir it builds. Those files belong to the project, so put them back.
 */
async function withProjectFilesKept<T>(work: () => Promise<T>): Promise<T> {
  const kept = await Promise.all(
    ["tsconfig.json", "next-env.d.ts"].map(async (file) => ({
      file,
      text: await readFile(file, "utf8").catch(() => undefined),
    })),
  );
  try {
    return await work();
  } finally {
    for (const { file, text } of kept) {
      const now = await readFile(file, "utf8").catch(() => undefined);
      if (now !== text) {
        if (text === undefined) await rm(file, { force: true });
        else await writeFile(file, text);
      }
    }
  }
}

/** Builds the web app into .next-bench when it is missing, stale or `force`d. */
export async function ensureBuild(env: ChildEnv, force: boolean): Promise<void> {
  const reason = force ? "--build given" : await staleReason();
  if (!reason) {
    say(`reusing the build in ${DIST_DIR}`);
    return;
  }
  say(`building the web app into ${DIST_DIR} (${reason})`);
  const started = performance.now();
  const code = await withProjectFilesKept(
    () =>
      new Promise<number>((resolve) => {
        // Build output goes to stderr so stdout carries only the results.
        const child = spawn(nextBin, ["build"], {
          env: { ...process.env, ...env, NEXT_DIST_DIR: DIST_DIR },
          stdio: ["ignore", 2, 2],
        });
        child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      }),
  );
  if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
  say(`built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Whether the build prerendered `route` at build time (then its timings would not reflect the database). */
export async function isPrerendered(route: string): Promise<boolean> {
  const manifest = await readFile(path.join(DIST_DIR, "prerender-manifest.json"), "utf8").catch(() => "{}");
  const routes = (JSON.parse(manifest) as { routes?: Record<string, unknown> }).routes ?? {};
  return route in routes;
}

// --- Services and the web server -------------------------------------------------------------

export interface BenchEnvironment {
  /** The fresh database this run owns. */
  databaseUrl: string;
  /** The web server's environment. */
  env: ChildEnv;
  /** This run's DATA_DIR (artifacts); removed at teardown. */
  dataDir: string;
}

/**
 * Services, a fresh migrated database, this run's data dir and (unless `build: false`, for
 * benchmarks that do not run the web app) an up-to-date build; every piece is registered on `teardown`.
 */
export async function prepareBench(
  name: string,
  teardown: Teardown,
  extraEnv: ChildEnv = {},
  options: { build?: boolean } = {},
): Promise<BenchEnvironment> {
  const postgres = await ensurePostgres({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: BENCH_DATA_DIR,
    database: "postgres",
  });
  teardown.add("stop PostgreSQL", () => postgres.stop());
  const redis = await ensureRedis({ redisUrl: process.env.REDIS_URL });
  teardown.add("stop Redis", () => redis.stop());

  const database = `modelyard_bench_${name}_${process.pid}`;
  await dropDatabase(postgres.url, database);
  const databaseUrl = await createDatabase(postgres.url, database);
  teardown.add(`drop database ${database}`, () => dropDatabase(postgres.url, database));
  await migrate(databaseUrl);

  const dataDir = path.join(BENCH_DATA_DIR, `run-${name}-${process.pid}`);
  teardown.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const redisPrefix = `modelyard-bench:${name}:${process.pid}`;
  // A shared Redis (REDIS_URL) keeps no queue keys from this run.
  teardown.add("delete this run's Redis keys", () => deleteKeys(redis.url, redisPrefix));

  const env: ChildEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redisPrefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_DIST_DIR: DIST_DIR,
    ...extraEnv,
  };
  if (options.build ?? true) await ensureBuild(env, hasFlag("build"));
  return { databaseUrl, env, dataDir };
}

/**
 * Points the platform's modules, imported into the benchmark's own process afterwards (they read
 * their environment on first use), at this run's services and data dir, with their logs (pino, on
 * stdout) kept to warnings.
 */
export function pointPlatformAt(bench: BenchEnvironment, extraEnv: ChildEnv = {}): void {
  Object.assign(process.env, {
    DATABASE_URL: bench.databaseUrl,
    REDIS_URL: bench.env.REDIS_URL,
    REDIS_PREFIX: bench.env.REDIS_PREFIX,
    DATA_DIR: bench.dataDir,
    LOG_LEVEL: "warn",
    ...extraEnv,
  });
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 500 })) {
      const batch = keys as string[];
      if (batch.length > 0) await client.del(...batch);
    }
  } finally {
    client.disconnect();
  }
}

export interface BenchWeb {
  web: ManagedProcess;
  baseUrl: string;
  port: number;
}

/** `next start` on a free port from 3200, ready once /api/health answers. */
export async function startBenchWeb(bench: BenchEnvironment, teardown: Teardown): Promise<BenchWeb> {
  const port = await findFreePort(3200);
  const web = startWeb(bench.env, port, "start", true);
  teardown.add("stop the web server", () => web.stop());
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/api/health`, 120_000, web);
  say(`next start listening on ${baseUrl} (pid ${web.child.pid})`);
  return { web, baseUrl, port };
}

/** A JSON API call that must answer with `expected`; anything else is a crash of the benchmark. */
export async function callApi<T>(
  baseUrl: string,
  method: string,
  route: string,
  expected: number,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected)
    throw new Error(`${method} ${route} answered ${response.status} (expected ${expected}): ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`;
}
