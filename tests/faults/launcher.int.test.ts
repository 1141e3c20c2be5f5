import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { transitionStage } from "@/lib/registry";
import { DEMO_MODEL } from "@/prisma/seed";
import { findFreePort } from "@/scripts/lib/services";
import { waitUntil } from "../fixtures/serving";

/**
 * The real launcher (`npm run dev`: `scripts/up.ts --dev`, which skips the production build) on this
 * file's database, with a redis-server of its own. A serving replica or worker that dies (SIGKILL)
 * is restarted while the rest keep running, and traffic resumes; SIGTERM stops everything it started,
 * redis-server included; and a SIGKILL of the launcher itself leaves nothing behind either.
 */
interface Launcher {
  process: ChildProcess;
  output: string[];
  webUrl: string;
  servingUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
}

const launchers: Launcher[] = [];
const dataDirs: string[] = [];
afterAll(async () => {
  for (const launcher of launchers) if (launcher.process.exitCode === null) launcher.process.kill("SIGKILL");
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function startLauncher(): Promise<Launcher> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "modelyard-launcher-"));
  dataDirs.push(dataDir);
  const port = await findFreePort(3200);
  const servingPort = await findFreePort(8700);
  // Not the test runner's NODE_ENV=test: the launcher runs as a person runs it.
  const { NODE_ENV: _testMode, ...inherited } = process.env;
  const env: Record<string, string | undefined> = {
    ...inherited,
    DATABASE_URL: config().DATABASE_URL,
    REDIS_URL: undefined, // the launcher starts its own redis-server
    REDIS_PREFIX: config().REDIS_PREFIX,
    DATA_DIR: dataDir,
    PORT: String(port),
    SERVING_PORT: String(servingPort),
    SERVING_INTRA_OP_THREADS: "1",
    // The test promotes from its own process, which is not on the launcher's Redis: replicas re-read.
    SERVING_SYNC_INTERVAL_MS: "1000",
    LOG_LEVEL: "warn",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/up.ts", "--dev"], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stderr! }).on("line", (line) => {
    output.push(line);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const launcher: Launcher = {
    process: child,
    output,
    webUrl: `http://127.0.0.1:${port}`,
    servingUrl: `http://127.0.0.1:${servingPort}`,
    exited,
    waitForOutput(pattern, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}:\n${output.slice(-30).join("\n")}`));
        }, timeoutMs);
        const check = () => {
          for (const line of output) {
            const match = pattern.exec(line);
            if (match) {
              clearTimeout(timer);
              waiters.delete(check);
              return resolve(match);
            }
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
  launchers.push(launcher);
  return launcher;
}

/** The launcher's children (pid and command line). */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const listing = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" }).stdout;
  return listing
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [pidText, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pidText), args: args.join(" ") };
    });
}

const childPid = (launcher: Launcher, script: string) => {
  const found = childrenOf(launcher.process.pid!).find((child) => child.args.includes(script));
  if (!found) throw new Error(`no ${script} among the launcher's children`);
  return found.pid;
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function inferDemo(launcher: Launcher, input: string): Promise<number> {
  try {
    const response = await fetch(`${launcher.servingUrl}/v2/models/${DEMO_MODEL}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: input, shape: [1, 4], datatype: "FP32", data: [0.1, 0.2, 0.3, 0.4] }] }),
      signal: AbortSignal.timeout(5000),
    });
    return response.status;
  } catch {
    return 0;
  }
}

async function launcherRedis(launcher: Launcher): Promise<number> {
  await launcher.waitForOutput(/redis-server listening/, "redis-server to start");
  const found = spawnSync("pgrep", ["-P", String(launcher.process.pid), "redis-server"], { encoding: "utf8" });
  return Number(found.stdout.trim());
}

/** Everything the launcher started: its children (the watchdog among them) and redis-server. */
function startedBy(launcher: Launcher, redisPid: number) {
  return [...childrenOf(launcher.process.pid!), { pid: redisPid, args: "redis-server" }];
}

async function expectAllStopped(started: { pid: number; args: string }[], withinMs: number) {
  await waitUntil(() => started.every((child) => !isAlive(child.pid)), "everything it started to stop", withinMs).catch(
    () =>
      expect(
        started.filter((child) => isAlive(child.pid)),
        "outlived the launcher",
      ).toEqual([]),
  );
}

describe("the launcher", () => {
  it("restarts a serving replica or worker that dies, and traffic resumes; SIGTERM stops everything", async () => {
    const launcher = await startLauncher();
    await launcher.waitForOutput(/Modelyard is running/, "the platform to come up", 240_000);
    const redisPid = await launcherRedis(launcher);
    expect(redisPid).toBeGreaterThan(0);

    const version = await waitUntil(
      async () =>
        (await db().modelVersion.findFirst({ where: { model: { name: DEMO_MODEL }, status: "READY" } })) ?? undefined,
      "the worker to validate the demo model",
      60_000,
    );
    await transitionStage(DEMO_MODEL, version.version, { stage: "PRODUCTION", comment: "" }, "test");
    const input = (version.signature as { inputs: { name: string }[] }).inputs[0]!.name;
    await waitUntil(async () => (await inferDemo(launcher, input)) === 200, "the endpoint to answer", 60_000);

    const serving = childPid(launcher, "worker/serving/index.ts");
    const killedAt = Date.now();
    process.kill(serving, "SIGKILL");
    await waitUntil(async () => (await inferDemo(launcher, input)) === 200, "the endpoint to answer again", 60_000);
    const servingAgainMs = Date.now() - killedAt;
    console.log(`serving answered again ${servingAgainMs} ms after its SIGKILL`);
    await launcher.waitForOutput(/serving stopped unexpectedly \(killed by SIGKILL\)/, "the launcher to say why");
    expect(childPid(launcher, "worker/serving/index.ts")).not.toBe(serving);

    const worker = childPid(launcher, "worker/index.ts");
    process.kill(worker, "SIGKILL");
    await launcher.waitForOutput(/worker stopped unexpectedly \(killed by SIGKILL\)/, "the launcher to say why");
    await launcher.waitForOutput(/worker restarted/, "the worker to be restarted");
    expect(await inferDemo(launcher, input), "serving kept answering while the worker was down").toBe(200);
    const webStatus = (await fetch(`${launcher.webUrl}/api/health`)).status;
    expect(webStatus, "the web app kept running").toBe(200);

    const started = startedBy(launcher, redisPid);
    launcher.process.kill("SIGTERM");
    expect(await launcher.exited).toEqual({ code: 143, signal: null });
    // Its watchdog leaves right after it, once it sees that nothing is left to stop.
    await expectAllStopped(started, 5000);
  }, 420_000);

  it("leaves nothing running when it is killed with SIGKILL", async () => {
    const launcher = await startLauncher();
    await launcher.waitForOutput(/Modelyard is running/, "the platform to come up", 240_000);
    const started = startedBy(launcher, await launcherRedis(launcher));
    const commands = started.map((child) => child.args).join("\n");
    for (const script of ["worker/index.ts", "worker/serving/index.ts", "next", "watchdog", "redis-server"]) {
      expect(commands).toContain(script);
    }
    launcher.process.kill("SIGKILL");
    await launcher.exited;
    // The children get SIGTERM and some seconds to finish, as with Ctrl-C.
    await expectAllStopped(started, 20_000);
  }, 300_000);
});
