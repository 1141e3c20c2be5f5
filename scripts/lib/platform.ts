import { spawn, type ChildProcess } from "node:child_process";

/** Extra environment for a child; merged over this process's. */
export type ChildEnv = Record<string, string | undefined>;

/** Starts and stops the platform's own processes (web app, worker, serving) for the launcher and tests. */

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const bin = (name: string) => `node_modules/.bin/${name}`;

export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: ChildEnv,
  options: { quiet?: boolean; stdoutToStderr?: boolean } = {},
): ManagedProcess {
  // Benchmarks keep stdout for their results, so a child's output may go to stderr instead.
  const stdout = options.quiet ? "ignore" : options.stdoutToStderr ? 2 : "inherit";
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", stdout, "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
  return startProcess("worker", bin("tsx"), ["worker/index.ts"], { ...env, MODELYARD_SERVICE: "worker" }, { quiet });
}

/** A serving replica; `port` also becomes the public URL unless SERVING_PUBLIC_URL is set. */
export function startServing(env: ChildEnv, port: number, quiet = false): ManagedProcess {
  return startProcess(
    "serving",
    bin("tsx"),
    ["worker/serving/index.ts"],
    { ...env, SERVING_PORT: String(port), MODELYARD_SERVICE: "serving" },
    { quiet },
  );
}

export function runToCompletion(command: string, args: string[], env: ChildEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "inherit" });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function waitForHttp(url: string, timeoutMs = 120_000, process?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process && process.child.exitCode !== null)
      throw new Error(`${process.name} exited with code ${process.child.exitCode}`);
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
