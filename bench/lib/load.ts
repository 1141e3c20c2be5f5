import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { cpuSeconds, machineBusySeconds, mainThreadCpuSeconds, treeCpuSeconds } from "./proc";

/** One autocannon run: POST `body` (JSON) to `url` from `connections` connections. */
export interface LoadSpec {
  url: string;
  body: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

/** What the load generator measured; latencies in ms from autocannon's per-response timings. */
export interface LoadResult {
  seconds: number;
  /** 2xx responses in the timed run. */
  ok: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** autocannon's own percentiles, from a histogram with 1 ms resolution (values truncated). */
  autocannonP50: number;
  autocannonP99: number;
  non2xx: number;
  errors: number;
}

export interface MeasuredLoad extends LoadResult {
  /** CPU the server's process tree used during the timed run, in cores (1.0 = one core busy). */
  serverCores: number;
  /**
   * CPU the main thread of the process that listens used, in cores: the event loop every request goes
   * through, and so the server's bottleneck once it nears 1.0 (a server's other threads can use the rest).
   */
  httpThreadCores: number;
  /** CPU the load generator used during the timed run, in cores. */
  loadCores: number;
  /** CPU every other process on the machine used meanwhile (a shared machine's noise), in cores. */
  otherCores: number;
}

const GENERATOR = path.join(import.meta.dirname, "load-generator.ts");

/**
 * Runs the load generator in a process of its own and samples CPU use of the server (`server.pid`
 * and its children, and the main thread of `server.httpPid`, the process that listens) and of the
 * generator over the timed run. `onMeasuring` and `onDone` run when
 * the timed run starts and ends (the serving benchmark reads the replica's metrics there).
 */
export function runLoad(
  spec: LoadSpec,
  server: { pid: number; httpPid: number },
  hooks: { onMeasuring?: () => Promise<void>; onDone?: () => Promise<void> } = {},
): Promise<MeasuredLoad> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", GENERATOR, JSON.stringify(spec)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let start: { server: number; http: number; load: number; machine: number; at: number } | undefined;
    let measured: MeasuredLoad | undefined;
    let pending: Promise<void> = Promise.resolve();
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      let message: { phase?: string; result?: LoadResult };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        process.stderr.write(`[load] ${line}\n`);
        return;
      }
      if (message.phase === "measuring") {
        start = {
          server: treeCpuSeconds(server.pid),
          http: mainThreadCpuSeconds(server.httpPid),
          load: cpuSeconds(child.pid!),
          machine: machineBusySeconds(),
          at: performance.now(),
        };
        pending = pending.then(() => hooks.onMeasuring?.());
      } else if (message.phase === "done" && message.result && start) {
        const elapsed = (performance.now() - start.at) / 1000;
        const serverCores = (treeCpuSeconds(server.pid) - start.server) / elapsed;
        const httpThreadCores = (mainThreadCpuSeconds(server.httpPid) - start.http) / elapsed;
        const loadCores = (cpuSeconds(child.pid!) - start.load) / elapsed;
        const machineCores = (machineBusySeconds() - start.machine) / elapsed;
        measured = {
          ...message.result,
          serverCores,
          httpThreadCores,
          loadCores,
          otherCores: Math.max(0, machineCores - serverCores - loadCores),
        };
        pending = pending.then(() => hooks.onDone?.());
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      pending.then(() => {
        if (code !== 0 || !measured) reject(new Error(`the load generator exited with code ${code} and no result`));
        else resolve(measured);
      }, reject);
    });
  });
}
