import { spawn, type ChildProcess } from "node:child_process";
import { guardProcessGroup, signalGroup } from "./process-guard";

/**
 * Starts and stops the platform's own processes (web app, worker, serving) for the launcher and
 * tests. Each runs in a process group of its own, listed with the watchdog (./process-guard), so
 * it never outlives the process that started it. Once the platform is up, the launcher asks for a
 * process that dies to be restarted (with backoff, saying which and why) rather than stopping the rest.
 */

/** Extra environment for a child; merged over this process's. */
export type ChildEnv = Record<string, string | undefined>;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RestartPolicy {
  /** The first restart waits this long; each quick death after it doubles the wait, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that ran this long before dying starts again after `initialDelayMs`. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 60_000 };

export interface ManagedProcess {
  name: string;
  /** The running child (a new one after each restart). */
  readonly child: ChildProcess;
  /** How many times it has been restarted. */
  readonly restarts: number;
  /** The last lines it wrote to stderr. */
  stderrTail(): string[];
  /** From now on, a death is followed by a restart (until `stop`). */
  restartOnExit(policy?: RestartPolicy): void;
  /** Stops it (SIGTERM to its group, SIGKILL after 15 s) and waits; no restart follows. */
  stop(): Promise<void>;
}

const STDERR_TAIL_LINES = 20;
const STOP_GRACE_MS = 15_000;

const bin = (name: string) => `node_modules/.bin/${name}`;
const say = (message: string) => process.stderr.write(`[modelyard] ${message}\n`);

export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

const seconds = (milliseconds: number) => `${Number((milliseconds / 1000).toFixed(1))} s`;

export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: ChildEnv,
  options: { quiet?: boolean; stdoutToStderr?: boolean } = {},
): ManagedProcess {
  // Benchmarks keep stdout for their results, so a child's output may go to stderr instead.
  const stdout = options.quiet ? "ignore" : options.stdoutToStderr ? 2 : "inherit";
  let tail: string[] = [];
  let partialLine = "";
  let child: ChildProcess;
  let startedAt = 0;
  let restarts = 0;
  let policy: RestartPolicy | undefined;
  let delayMs = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping = false;

  const keepStderr = (chunk: Buffer) => {
    process.stderr.write(chunk);
    const lines = (partialLine + chunk.toString("utf8")).split("\n");
    partialLine = lines.pop() ?? "";
    tail = [...tail, ...lines.filter((line) => line.trim() !== "")].slice(-STDERR_TAIL_LINES);
  };

  function launch(): ChildProcess {
    tail = [];
    partialLine = "";
    startedAt = Date.now();
    const started = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", stdout, "pipe"],
      detached: true,
    });
    const release = started.pid === undefined ? () => undefined : guardProcessGroup(started.pid);
    started.stderr?.on("data", keepStderr);
    started.once("error", (error) => say(`${name} could not be started: ${error.message}`));
    started.once("exit", (code, signal) => {
      // What the process started itself (loaders, threads' helpers) goes with it.
      if (started.pid !== undefined) signalGroup(started.pid, "SIGKILL");
      release();
      if (!stopping && policy) scheduleRestart({ code, signal }, policy);
    });
    return started;
  }

  function scheduleRestart(status: ExitStatus, restartPolicy: RestartPolicy): void {
    const ranMs = Date.now() - startedAt;
    delayMs =
      ranMs >= restartPolicy.stableAfterMs || delayMs === 0
        ? restartPolicy.initialDelayMs
        : Math.min(delayMs * 2, restartPolicy.maxDelayMs);
    const lines =
      tail.length > 0 ? `; the last lines of its stderr:\n${tail.map((line) => `    ${line}`).join("\n")}` : "";
    say(
      `${name} stopped unexpectedly (${describeExit(status)}) after ${seconds(ranMs)}; restarting it in ${seconds(delayMs)}${lines}`,
    );
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      restarts += 1;
      child = launch();
      say(`${name} restarted (pid ${child.pid}, restart ${restarts})`);
    }, delayMs);
  }

  child = launch();
  return {
    name,
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    stderrTail: () => [...tail],
    restartOnExit(restartPolicy = DEFAULT_RESTART_POLICY) {
      policy = restartPolicy;
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null || current.pid === undefined) return;
      const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
      signalGroup(current.pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(current.pid!, "SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `node --import tsx <script>`: the script is the child itself, so signals and exit codes are its own. */
function startTsx(name: string, script: string, env: ChildEnv, quiet: boolean): ManagedProcess {
  return startProcess(name, process.execPath, ["--import", "tsx", script], env, { quiet });
}

export function startWeb(env: ChildEnv, port: number, mode: "dev" | "start", quiet = false): ManagedProcess {
  return startProcess(
    "web",
    bin("next"),
    [mode, "--port", String(port), "--hostname", "127.0.0.1"],
    { ...env, MODELYARD_SERVICE: "web" },
    { quiet },
  );
}

export function startWorker(env: ChildEnv, quiet = false): ManagedProcess {
  return startTsx("worker", "worker/index.ts", { ...env, MODELYARD_SERVICE: "worker" }, quiet);
}

/** A serving replica; `port` also becomes the public URL unless SERVING_PUBLIC_URL is set. */
export function startServing(env: ChildEnv, port: number, quiet = false): ManagedProcess {
  return startTsx(
    "serving",
    "worker/serving/index.ts",
    { ...env, SERVING_PORT: String(port), MODELYARD_SERVICE: "serving" },
    quiet,
  );
}

export function runToCompletion(command: string, args: string[], env: ChildEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "inherit" });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Why a process ended, with the last lines of its stderr, for a message a person reads. */
export function exitReport(process: ManagedProcess): string {
  const status = { code: process.child.exitCode, signal: process.child.signalCode };
  const tail = process.stderrTail();
  return `${process.name} stopped (${describeExit(status)})${tail.length > 0 ? `; the last lines of its stderr:\n${tail.map((line) => `    ${line}`).join("\n")}` : ""}`;
}

const hasExited = (process: ManagedProcess) => process.child.exitCode !== null || process.child.signalCode !== null;

/** Throws with the reason if any of the processes has stopped. */
export function assertRunning(processes: ManagedProcess[]): void {
  const stopped = processes.find(hasExited);
  if (stopped) throw new Error(exitReport(stopped));
}

export async function waitForHttp(url: string, timeoutMs = 120_000, process?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process) assertRunning([process]);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

export const nextBin = bin("next");
export const playwrightBin = bin("playwright");
export const vitestBin = bin("vitest");
