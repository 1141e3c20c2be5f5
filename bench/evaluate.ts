import { createReadStream } from "node:fs";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { Queue, QueueEvents } from "bullmq";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { startProcess, type ManagedProcess } from "../scripts/lib/platform";
import { machine, numberFlag, prepareBench, runBench, say, pointPlatformAt, type BenchEnvironment } from "./lib/setup";
import { fixed, markdownTable, median } from "./lib/stats";
import { DIGITS_CSV, DIGITS_ONNX } from "@/tests/fixtures/paths";

/**
 * `npm run bench:evaluate`: a batch evaluation of the digits model over the digits test set repeated
 * to at least 100,000 rows, run the way users run it: the model uploaded through lib/registry and
 * made Ready by the real validate job, the dataset uploaded through lib/datasets, and the real
 * evaluate job in a real worker process (`tsx worker/index.ts`). Target: under 3 s end to end.
 *   --rows N        at least this many rows: whole repeats of the 540-row test set (default 100000)
 *   --runs N        timed evaluations after one warm-up (default 5)
 *   --cpu-prof DIR  write a V8 CPU profile of the worker process into DIR
 *
 * End to end is timed in this process from just before `startEvaluation` (which writes the job and
 * evaluation rows, then enqueues the job) to BullMQ's `completed` event for that job, which comes
 * after the job's SUCCEEDED state, its report and the version metrics commit in one transaction.
 * The baseline is onnxruntime alone in this process: `session.run` over the same rows, already
 * parsed, in chunks of the job's size.
 */

const TARGET_SECONDS = 3;
const minRows = numberFlag("rows", 100_000);
const runs = numberFlag("runs", 5);
const cpuProfIndex = process.argv.indexOf("--cpu-prof");
const cpuProfDir = cpuProfIndex >= 0 ? path.resolve(process.argv[cpuProfIndex + 1] ?? "") : undefined;

const MODEL = "bench-evaluate-digits";
/** Matches the default of EVALUATE_CHUNK_ROWS; the worker gets it explicitly so both use the same size. */
const CHUNK_ROWS = numberFlag("chunk-rows", 8192);

/** The steps worker/jobs/evaluate.ts times, in the order they happen. */
const STEP_LABELS = [
  ["read", "read and parse the dataset (CSV → float32 rows, labels)"],
  ["run", "session.run"],
  ["metrics", "metrics (accumulate, final report)"],
  ["format", "format the predictions CSV"],
  ["write", "write the predictions (with fsync per chunk)"],
  ["checkpoint", "checkpoint, progress and cancel check per chunk (DB)"],
  ["store", "store the predictions file as an artifact"],
] as const;

interface TestSet {
  header: string;
  /** The data lines, each ending in "\n". */
  body: string;
  rows: number;
  width: number;
  features: Float32Array;
  labels: Int32Array;
}

async function readTestSet(): Promise<TestSet> {
  const lines = (await readFile(DIGITS_CSV, "utf8")).trim().split(/\r?\n/);
  const header = lines[0]!;
  const names = header.split(",");
  const label = names.indexOf("label");
  const data = lines.slice(1);
  const width = names.length - 1;
  const features = new Float32Array(data.length * width);
  const labels = new Int32Array(data.length);
  data.forEach((line, row) => {
    const cells = line.split(",").map(Number);
    labels[row] = cells[label]!;
    features.set(
      cells.filter((_, index) => index !== label),
      row * width,
    );
  });
  return { header, body: data.map((line) => `${line}\n`).join(""), rows: data.length, width, features, labels };
}

/** Writes the header and `repeats` copies of the test set's rows. */
async function writeRepeated(file: string, testSet: TestSet, repeats: number): Promise<number> {
  const handle = await open(file, "w");
  try {
    await handle.write(`${testSet.header}\n`);
    const block = Buffer.from(testSet.body);
    for (let repeat = 0; repeat < repeats; repeat++) await handle.write(block);
  } finally {
    await handle.close();
  }
  return (await stat(file)).size;
}

const argmax = (values: Float32Array, from: number, count: number) => {
  let best = 0;
  for (let index = 1; index < count; index++) if (values[from + index]! > values[from + best]!) best = index;
  return best;
};

/** Accuracy of the model on the test set itself, and onnxruntime's rows/s over the repeated rows. */
async function baseline(testSet: TestSet, repeats: number) {
  const session = await InferenceSession.create(DIGITS_ONNX);
  try {
    const run = async (features: Float32Array, rows: number) =>
      (await session.run({ input: new Tensor("float32", features, [rows, testSet.width]) })).output!
        .data as Float32Array;
    const logits = await run(testSet.features, testSet.rows);
    const classes = logits.length / testSet.rows;
    let correct = 0;
    for (let row = 0; row < testSet.rows; row++)
      if (argmax(logits, row * classes, classes) === testSet.labels[row]) correct++;

    const total = testSet.rows * repeats;
    const all = new Float32Array(total * testSet.width);
    for (let repeat = 0; repeat < repeats; repeat++) all.set(testSet.features, repeat * testSet.features.length);
    const pass = async () => {
      const started = performance.now();
      for (let row = 0; row < total; row += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, total - row);
        await run(all.subarray(row * testSet.width, (row + rows) * testSet.width), rows);
      }
      return performance.now() - started;
    };
    await pass();
    const times: number[] = [];
    for (let rep = 0; rep < 5; rep++) times.push(await pass());
    return {
      accuracy: correct / testSet.rows,
      correct,
      ms: median(times),
      rowsPerSecond: total / (median(times) / 1000),
    };
  } finally {
    await session.release();
  }
}

interface RunFigures {
  seconds: number;
  /** job.startedAt → job.finishedAt, the worker's own span (its clock). */
  workerSeconds: number;
  pickupMs: number;
  accuracy: number;
  timings: Record<string, number>;
  metrics: number;
}

function startWorkerProcess(bench: BenchEnvironment): ManagedProcess {
  const env = { ...bench.env, EVALUATE_CHUNK_ROWS: String(CHUNK_ROWS), MODELYARD_SERVICE: "worker" };
  const args = cpuProfDir
    ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`, "--import", "tsx", "worker/index.ts"]
    : ["--import", "tsx", "worker/index.ts"];
  // node itself rather than the tsx CLI, so the profile is of the worker and a stop reaches it.
  return startProcess("worker", process.execPath, args, env, { stdoutToStderr: true });
}

runBench(async (teardown) => {
  const bench = await prepareBench("evaluate", teardown, {}, { build: false });
  pointPlatformAt(bench, { EVALUATE_CHUNK_ROWS: String(CHUNK_ROWS) });
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  const { createModel, createVersionFromUpload } = await import("@/lib/registry");
  const { createDatasetFromUpload } = await import("@/lib/datasets");
  const { startEvaluation } = await import("@/lib/evaluate/evaluations");
  const { db } = await import("@/lib/db");
  const { QueueName, closeQueues, createRedis } = await import("@/lib/jobs");
  teardown.add("close the platform's clients", async () => {
    await closeQueues();
    await db().$disconnect();
  });

  const testSet = await readTestSet();
  const repeats = Math.ceil(minRows / testSet.rows);
  const totalRows = testSet.rows * repeats;

  const worker = startWorkerProcess(bench);
  teardown.add("stop the worker", () => worker.stop());
  /** BullMQ's view of a queue: its events, subscribed before any job runs, and the queue to look jobs up in. */
  const watch = async (queue: string) => {
    const connection = createRedis();
    const queueEvents = new QueueEvents(queue, { connection, prefix: bench.env.REDIS_PREFIX });
    const queueConnection = createRedis();
    const bullQueue = new Queue(queue, { connection: queueConnection, prefix: bench.env.REDIS_PREFIX });
    teardown.add(`close the ${queue} queue and its events`, async () => {
      await queueEvents.close();
      connection.disconnect();
      await bullQueue.close();
      queueConnection.disconnect();
    });
    await queueEvents.waitUntilReady();
    /** Resolves once the job has completed (its state and effects committed); throws when it failed. */
    return async (jobId: string) => {
      const job = await bullQueue.getJob(jobId);
      if (!job) throw new Error(`${queue} job ${jobId} is not in the queue`);
      await job.waitUntilFinished(queueEvents);
    };
  };
  const validated = await watch(QueueName.Validate);
  const evaluated = await watch(QueueName.Evaluate);

  // The model, made Ready by the worker's validate job.
  await createModel({ name: MODEL, description: "bench/evaluate.ts", tags: ["bench"] }, "bench");
  const version = await createVersionFromUpload({
    modelName: MODEL,
    body: Readable.from([await readFile(DIGITS_ONNX)]),
    originalFilename: path.basename(DIGITS_ONNX),
    description: "digits MLP (64 → 10)",
    actor: "bench",
  });
  const validateJob = await db().job.findFirstOrThrow({ where: { versionId: version.id, kind: "VALIDATE" } });
  await validated(validateJob.id);
  const versionRow = await db().modelVersion.findUniqueOrThrow({ where: { id: version.id } });
  if (versionRow.status !== "READY")
    throw new Error(`the digits model is ${versionRow.status}: ${versionRow.statusMessage}`);
  say(`${MODEL} v${version.version} validated by the worker (pid ${worker.child.pid})`);

  // The dataset, streamed from a file through the upload path (profiled on the way).
  const csv = path.join(bench.dataDir, "digits_test_repeated.csv");
  await mkdir(bench.dataDir, { recursive: true });
  const csvBytes = await writeRepeated(csv, testSet, repeats);
  const uploadStarted = performance.now();
  const dataset = await createDatasetFromUpload({
    modelName: MODEL,
    body: createReadStream(csv),
    filename: "digits_test_repeated.csv",
    actor: "bench",
  });
  if (dataset.rowCount !== totalRows) throw new Error(`the dataset has ${dataset.rowCount} rows, not ${totalRows}`);
  say(
    `dataset: ${totalRows} rows (540 × ${repeats}), ${fixed(csvBytes / 1e6, 1)} MB, uploaded and profiled in ${fixed((performance.now() - uploadStarted) / 1000, 2)} s`,
  );

  const reference = await baseline(testSet, repeats);
  say(`onnxruntime alone: ${fixed(reference.rowsPerSecond, 0)} rows/s; test-set accuracy ${reference.accuracy}`);

  async function evaluateOnce(): Promise<RunFigures> {
    const started = performance.now();
    const evaluation = await startEvaluation(MODEL, version.version, { datasetId: dataset.id }, "bench");
    await evaluated(evaluation.jobId);
    const seconds = (performance.now() - started) / 1000;
    const row = await db().evaluation.findUniqueOrThrow({ where: { id: evaluation.id }, include: { job: true } });
    if (row.job.state !== "SUCCEEDED") throw new Error(`evaluation ${row.id} ended ${row.job.state}: ${row.job.error}`);
    const report = row.report as { accuracy: number; timings?: Record<string, number> };
    const metrics = await db().versionMetric.count({
      where: { versionId: version.id, datasetId: dataset.id, timestamp: { gte: row.createdAt } },
    });
    return {
      seconds,
      workerSeconds: (row.job.finishedAt!.getTime() - row.job.startedAt!.getTime()) / 1000,
      pickupMs: row.job.startedAt!.getTime() - row.job.createdAt.getTime(),
      accuracy: report.accuracy,
      timings: report.timings ?? {},
      metrics,
    };
  }

  say("warm-up evaluation");
  const warm = await evaluateOnce();
  say(`  warm-up: ${fixed(warm.seconds, 2)} s`);
  const figures: RunFigures[] = [];
  for (let run = 1; run <= runs; run++) {
    const figure = await evaluateOnce();
    say(`  run ${run}: ${fixed(figure.seconds, 2)} s, accuracy ${figure.accuracy}`);
    figures.push(figure);
  }

  const mid = (pick: (figure: RunFigures) => number) => median(figures.map(pick));
  const seconds = mid((figure) => figure.seconds);
  const accurate = figures.every((figure) => figure.accuracy === reference.accuracy);

  console.log(
    `\nEvaluation of the digits MLP over ${totalRows.toLocaleString("en")} rows (digits_test.csv × ${repeats})`,
  );
  console.log(`${machine()}; ${new Date().toISOString()}`);
  console.log(
    `worker process (node --import tsx worker/index.ts), EVALUATE_CHUNK_ROWS=${CHUNK_ROWS}; ${runs} runs after a warm-up; CSV ${fixed(csvBytes / 1e6, 1)} MB\n`,
  );
  const rowsOf = (figure: RunFigures) => [
    fixed(figure.seconds, 3),
    fixed(totalRows / figure.seconds, 0),
    fixed(figure.workerSeconds, 3),
    fixed(figure.pickupMs, 0),
    String(figure.metrics),
    String(figure.accuracy),
  ];
  console.log(
    markdownTable(
      [
        "run",
        "end to end s",
        "rows/s",
        "job started → finished s",
        "enqueue → started ms",
        "metrics stored",
        "accuracy",
      ],
      [
        ...figures.map((figure, index) => [String(index + 1), ...rowsOf(figure)]),
        [
          "median",
          fixed(seconds, 3),
          fixed(totalRows / seconds, 0),
          fixed(
            mid((figure) => figure.workerSeconds),
            3,
          ),
          fixed(
            mid((figure) => figure.pickupMs),
            0,
          ),
          "",
          "",
        ],
      ],
      new Set([1, 2, 3, 4, 5]),
    ),
  );

  if (Object.keys(figures[0]?.timings ?? {}).length > 0) {
    console.log("\nWhere the job's time goes: the timings it reports with its metrics (medians over runs)\n");
    const total = mid((figure) => figure.workerSeconds * 1000);
    const stepMs = (step: string) => mid((figure) => figure.timings[step] ?? Number.NaN);
    const accounted = STEP_LABELS.reduce((sum, [step]) => sum + stepMs(step), 0);
    const rows = [
      ...STEP_LABELS.map(([step, label]) => [label, stepMs(step)] as const),
      ["other: loading the session, opening files, the final commit", total - accounted] as const,
    ].map(([label, ms]) => [label, fixed(ms, 1), `${fixed((ms / total) * 100, 1)}%`]);
    console.log(markdownTable(["step", "ms", "share of job"], rows, new Set([1, 2])));
  }

  console.log("\nBaseline: onnxruntime alone in this process, same rows already parsed, same chunk size\n");
  console.log(
    markdownTable(
      ["what", "seconds", "rows/s"],
      [
        ["session.run over every chunk", fixed(reference.ms / 1000, 3), fixed(reference.rowsPerSecond, 0)],
        ["evaluate job, end to end (median)", fixed(seconds, 3), fixed(totalRows / seconds, 0)],
      ],
      new Set([1, 2]),
    ),
  );
  console.log(
    `\naccuracy ${accurate ? "equals" : "DIFFERS FROM"} the test set's (${reference.correct}/${testSet.rows} = ${reference.accuracy}) in every run`,
  );
  const verdict = seconds < TARGET_SECONDS ? "meets" : "MISSES";
  console.log(`median end to end ${fixed(seconds, 2)} s ${verdict} the target (under ${TARGET_SECONDS} s)`);
});
