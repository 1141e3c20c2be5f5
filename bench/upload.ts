import { randomFillSync } from "node:crypto";
import { once } from "node:events";
import { readdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { commandLine, listeningPid, processTree, resetPeakRss, RssSampler, statusBytes } from "./lib/proc";
import { callApi, machine, numberFlag, prepareBench, runBench, say, startBenchWeb } from "./lib/setup";
import { fixed, markdownTable, mb, MB, median } from "./lib/stats";

/**
 * `npm run bench:upload`: peak RSS growth of the production web server (`next start`) while a
 * 1 GiB file streams through POST /api/models/{name}/versions. Target: under 100 MB.
 *   --size-mib N   upload size (default 1024)
 *   --runs N       timed uploads (default 2)
 *   --build        rebuild .next-bench even when it is up to date
 */
const MiB = 1024 * 1024;
const TARGET_BYTES = 100 * MB;
const MODEL = "bench-upload";
const sizeBytes = numberFlag("size-mib", 1024) * MiB;
const runs = numberFlag("runs", 2);

interface UploadResult {
  status: number;
  body: string;
  elapsedMs: number;
}

/**
 * Streams `size` bytes as the raw request body, honouring backpressure so the client never holds
 * more than a chunk or two. The body cycles through a pool of random 1 MiB chunks made per call,
 * so each upload has its own content (and its own artifact) without costing 1 GiB of random bytes.
 */
async function streamUpload(baseUrl: string, size: number, filename: string): Promise<UploadResult> {
  const pool = Array.from({ length: 16 }, () => randomFillSync(Buffer.allocUnsafe(MiB)));
  const started = performance.now();
  const request = http.request(`${baseUrl}/api/models/${MODEL}/versions`, {
    method: "POST",
    agent: false,
    headers: { "content-type": "application/octet-stream", "content-length": String(size), "x-filename": filename },
  });
  const response = new Promise<UploadResult>((resolve, reject) => {
    request.once("error", reject);
    request.once("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.once("error", reject);
      res.once("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString("utf8"),
          elapsedMs: performance.now() - started,
        }),
      );
    });
  });
  let answered = false;
  void response.finally(() => (answered = true)).catch(() => undefined);
  try {
    for (let sent = 0, index = 0; sent < size && !answered; index += 1) {
      const chunk = pool[index % pool.length]!;
      const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
      sent += piece.length;
      // An early answer (e.g. 413) can close the socket; then 'drain' never comes.
      if (!request.write(piece)) await Promise.race([once(request, "drain"), response]);
    }
    request.end();
  } catch {
    // A write error surfaces through `response` below.
  }
  return response;
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let count = 0;
  for (const entry of entries) count += entry.isDirectory() ? await countFiles(path.join(dir, entry.name)) : 1;
  return count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunFigures {
  run: string;
  status: number;
  baseline: number;
  peak: number;
  hwm: number | undefined;
  treePeak: number;
  seconds: number;
  samples: number;
  maxGapMs: number;
}

runBench(async (teardown) => {
  const bench = await prepareBench("upload", teardown, { MAX_UPLOAD_BYTES: String(2 * 1024 * MiB - 1) });
  const { web, baseUrl, port } = await startBenchWeb(bench, teardown);
  const root = web.child.pid!;

  await callApi(baseUrl, "POST", "/api/models", 201, { name: MODEL, description: "bench/upload.ts" });
  // Warm-up: load the upload route and its dependencies before measuring the baseline.
  const warm = await streamUpload(baseUrl, MiB, "warm-up.bin");
  if (warm.status !== 202) throw new Error(`warm-up upload answered ${warm.status}: ${warm.body}`);
  const warmVersion = (JSON.parse(warm.body) as { version: number }).version;
  await callApi(baseUrl, "DELETE", `/api/models/${MODEL}/versions/${warmVersion}`, 204);

  const tree = processTree(root);
  const server = listeningPid(port, tree) ?? root;
  say(`process tree of next start: ${tree.map((pid) => `${pid} [${commandLine(pid).slice(0, 60)}]`).join(", ")}`);
  say(`serving process (owns the listening socket on ${port}): ${server}`);

  const figures: RunFigures[] = [];
  for (let run = 1; run <= runs; run += 1) {
    // Baseline: the median of a second of samples once the server is idle.
    await sleep(2000);
    const idle = new RssSampler(server, root);
    idle.start();
    await sleep(1000);
    const baseline = median(idle.stop().values);

    const hwmReset = resetPeakRss(server);
    const sampler = new RssSampler(server, root);
    sampler.start();
    const result = await streamUpload(baseUrl, sizeBytes, `bench-${run}.bin`);
    const rss = sampler.stop();
    const hwm = hwmReset ? statusBytes(server, "VmHWM") : undefined;
    figures.push({
      run: String(run),
      status: result.status,
      baseline,
      peak: rss.peakBytes,
      hwm,
      treePeak: rss.peakTreeBytes,
      seconds: result.elapsedMs / 1000,
      samples: rss.samples,
      maxGapMs: rss.maxGapMs,
    });
    if (result.status === 202) {
      // No worker runs, so the version stays PENDING; deleting it removes the 1 GiB artifact file.
      const { version } = JSON.parse(result.body) as { version: number };
      await callApi(baseUrl, "DELETE", `/api/models/${MODEL}/versions/${version}`, 204);
    } else {
      say(`run ${run}: upload answered ${result.status}: ${result.body.slice(0, 300)}`);
    }
  }
  const left = await countFiles(path.join(bench.dataDir, "artifacts"));

  const rows = figures.map((figure) => [
    figure.run,
    String(figure.status),
    mb(figure.baseline),
    mb(figure.peak),
    figure.hwm === undefined ? "–" : mb(figure.hwm),
    mb(figure.peak - figure.baseline),
    mb(figure.treePeak),
    fixed(figure.seconds, 1),
    fixed(sizeBytes / MB / figure.seconds, 0),
    `${figure.samples} / ${fixed(figure.maxGapMs, 0)}`,
  ]);
  const mid = (pick: (figure: RunFigures) => number) => median(figures.map(pick));
  const growth = mid((figure) => figure.peak - figure.baseline);
  rows.push([
    "median",
    "",
    mb(mid((figure) => figure.baseline)),
    mb(mid((figure) => figure.peak)),
    figures.every((figure) => figure.hwm !== undefined) ? mb(mid((figure) => figure.hwm ?? 0)) : "–",
    mb(growth),
    mb(mid((figure) => figure.treePeak)),
    fixed(
      mid((figure) => figure.seconds),
      1,
    ),
    fixed(
      mid((figure) => sizeBytes / MB / figure.seconds),
      0,
    ),
    "",
  ]);

  console.log(
    `\nUpload of ${fixed(sizeBytes / MiB, 0)} MiB (${mb(sizeBytes, 0)} MB) through POST /api/models/{name}/versions, raw body`,
  );
  console.log(`next start, ${machine()}; ${new Date().toISOString()}`);
  console.log(
    `serving pid ${server}${server === root ? " (next start itself, no child)" : ` (child of next start ${root})`}; RSS in MB (10^6 bytes)\n`,
  );
  console.log(
    markdownTable(
      [
        "run",
        "HTTP",
        "baseline RSS",
        "peak RSS (50 ms)",
        "peak RSS (VmHWM)",
        "growth",
        "tree peak",
        "seconds",
        "MB/s",
        "samples / max gap ms",
      ],
      rows,
      new Set([1, 2, 3, 4, 5, 6, 7, 8]),
    ),
  );
  const verdict = growth < TARGET_BYTES ? "meets" : "MISSES";
  console.log(`\nmedian RSS growth ${mb(growth)} MB ${verdict} the target (under ${mb(TARGET_BYTES, 0)} MB)`);
  // Memory the first upload takes and keeps shows up as a higher baseline for the next run.
  const overall = Math.max(...figures.map((figure) => figure.peak)) - (figures[0]?.baseline ?? Number.NaN);
  console.log(`highest peak over all runs minus the first baseline: ${mb(overall)} MB`);
  console.log(`artifact files left in the bench data dir after deleting the versions: ${left}`);
});
