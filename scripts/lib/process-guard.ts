import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Nothing the launcher (or the test runner) starts may outlive it. Every child and service runs in a
 * process group of its own, so one signal reaches its own children too (tsx, next, onnxruntime
 * loaders); each group is listed with a watchdog process that stops what is still listed when this
 * process ends for any reason, SIGKILL included, which no handler in this process could do.
 */
const watchdogScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "watchdog.mjs");
let watchdog: ChildProcess | undefined;

function watchdogInput(): NodeJS.WritableStream | undefined {
  if (!watchdog) {
    watchdog = spawn(process.execPath, [watchdogScript], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    watchdog.on("error", () => undefined);
    watchdog.stdin?.on("error", () => undefined);
    // Neither the watchdog nor its pipe keeps this process alive; the pipe closes when it exits.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return watchdog.stdin ?? undefined;
}

/**
 * Lists a process group (a child spawned with `detached: true`; its pid is the group id) to be sent
 * `signal` if this process dies first. Returns the function that takes it off the list.
 */
export function guardProcessGroup(pgid: number, signal: NodeJS.Signals = "SIGTERM"): () => void {
  watchdogInput()?.write(`+${pgid} ${signal}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    watchdogInput()?.write(`-${pgid}\n`);
  };
}

/** Sends a signal to a whole process group, ignoring one that has already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}
