import { createRequire } from "node:module";
import type { LoadResult, LoadSpec } from "./load";

/**
 * The load generator, run as a process of its own (`bench/lib/load.ts` starts it) so it never shares
 * an event loop with a server: autocannon at a fixed concurrency, first a warm-up run whose figures
 * are dropped, then the timed run. It prints `{"phase":"measuring"}` when the timed run starts (the
 * parent samples CPU and metrics then) and one JSON result line at the end.
 *
 * autocannon records latencies in an HDR histogram whose smallest unit is 1 ms and which truncates
 * (0.9 ms counts as 0), too coarse for sub-millisecond requests. So this also keeps the exact
 * response time autocannon measured for every 2xx response (its `response` event, in ms from
 * process.hrtime) and computes the percentiles from those.
 */

interface AutocannonOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
}
interface AutocannonResult {
  duration: number;
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

// autocannon ships no type declarations; the few fields used here are typed above.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function run(spec: LoadSpec, seconds: number, onResponse?: (status: number, ms: number) => void) {
  return new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: spec.body,
        connections: spec.connections,
        duration: seconds,
        timeout: 30,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (onResponse) instance.on("response", (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}

/** Nearest-rank percentile of sorted values. */
const rank = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds);

let times = new Float64Array(1 << 16);
let count = 0;
process.stdout.write(`${JSON.stringify({ phase: "measuring" })}\n`);
const result = await run(spec, spec.durationSeconds, (status, ms) => {
  if (status < 200 || status >= 300) return;
  if (count === times.length) {
    const grown = new Float64Array(times.length * 2);
    grown.set(times);
    times = grown;
  }
  times[count++] = ms;
});
const sorted = times.subarray(0, count).sort();
const output: LoadResult = {
  seconds: result.duration,
  ok: result["2xx"],
  requestsPerSecond: result["2xx"] / result.duration,
  p50: rank(sorted, 50),
  p90: rank(sorted, 90),
  p99: rank(sorted, 99),
  max: rank(sorted, 100),
  autocannonP50: result.latency.p50,
  autocannonP99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
};
process.stdout.write(`${JSON.stringify({ phase: "done", result: output })}\n`);
