/**
 * Batch evaluation: runs a version over a dataset in chunks, writes a predictions CSV and stores the
 * metrics on the version. After every chunk the metric accumulators, the dataset cursor and the
 * predictions file's length are checkpointed, so a retried job (the worker was killed) resumes after
 * the last finished chunk and never counts a row twice. Cancelling stops it at the next chunk.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Job as BullJob } from "bullmq";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import { artifactStore } from "@/lib/artifacts";
import { config } from "@/lib/config";
import { datasetColumnSchema, readDatasetRows, type DatasetCursor, type StoredDataset } from "@/lib/datasets";
import { Prisma, type Db } from "@/lib/db";
import {
  ClassificationAccumulator,
  RegressionAccumulator,
  classificationReport,
  evaluationPlanSchema,
  predictionLines,
  predictionsHeader,
  regressionReport,
  type EvaluationPlan,
} from "@/lib/evaluate";
import type { JobPayload, QueueName } from "@/lib/jobs";
import type { Logger } from "@/lib/log";
import { claimArtifact, releaseArtifact } from "@/lib/registry/artifacts";
import { JobFailure, runTrackedJob } from "../lib/tracked-job";

const checkpointSchema = z.object({
  cursor: z.object({ row: z.number(), byte: z.number() }),
  accumulator: z.unknown(),
  predictionsBytes: z.number(),
  /** Time spent in earlier attempts, so throughput covers the whole run. */
  elapsedMs: z.number(),
  computeMs: z.number(),
  chunks: z.number(),
  /** Milliseconds per step, summed over chunks and attempts (absent in checkpoints of older workers). */
  timings: z.record(z.string(), z.number()).optional(),
});
type Checkpoint = z.infer<typeof checkpointSchema>;

type Accumulator = ClassificationAccumulator | RegressionAccumulator;

/**
 * Where an evaluation's time goes, reported with its metrics: reading and parsing the dataset,
 * session.run, metric accumulation, formatting and writing (with fsync) the predictions, the
 * per-chunk checkpoint and progress writes, and storing the predictions file at the end.
 */
const STEPS = ["read", "run", "metrics", "format", "write", "checkpoint", "store"] as const;
type Step = (typeof STEPS)[number];

class StepTimer {
  readonly totals: Record<Step, number>;
  private mark = performance.now();

  constructor(saved: Record<string, number> = {}) {
    this.totals = Object.fromEntries(STEPS.map((step) => [step, saved[step] ?? 0])) as Record<Step, number>;
  }

  /** Charges the time since the last lap to `step`. */
  lap(step: Step): number {
    const now = performance.now();
    const elapsed = now - this.mark;
    this.totals[step] += elapsed;
    this.mark = now;
    return elapsed;
  }
}

function newAccumulator(plan: EvaluationPlan, saved?: unknown): Accumulator {
  if (plan.task === "REGRESSION") return saved ? RegressionAccumulator.fromJSON(saved) : new RegressionAccumulator();
  if (saved) return ClassificationAccumulator.fromJSON(saved);
  return new ClassificationAccumulator({ classCount: plan.classCount!, scoreColumns: plan.scoreColumns });
}

/** Labels must be class indices the model has (or finite targets); the message names the row. */
function checkLabels(plan: EvaluationPlan, labels: (number | string)[], rowOffset: number): Float64Array {
  const values = new Float64Array(labels.length);
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index];
    const where = `row ${rowOffset + index + 1} of the dataset`;
    if (typeof label !== "number" || !Number.isFinite(label)) {
      throw new JobFailure(`${where} has label ${JSON.stringify(label)}, which is not a number`);
    }
    if (plan.task === "CLASSIFICATION" && (!Number.isInteger(label) || label < 0 || label >= plan.classCount!)) {
      throw new JobFailure(
        `${where} has label ${label}, which is not a class of the model (0…${plan.classCount! - 1})`,
      );
    }
    values[index] = label;
  }
  return values;
}

/** The chunk's features as onnxruntime inputs (one input takes the features array as it is). */
function toFeeds(plan: EvaluationPlan, features: Float32Array, rows: number): Record<string, Tensor> {
  const totalWidth = plan.inputs.reduce((sum, input) => sum + input.columns.length, 0);
  let offset = 0;
  return Object.fromEntries(
    plan.inputs.map((input) => {
      const width = input.columns.length;
      let data: Float32Array = features;
      if (plan.inputs.length > 1) {
        data = new Float32Array(rows * width);
        for (let row = 0; row < rows; row++) {
          data.set(features.subarray(row * totalWidth + offset, row * totalWidth + offset + width), row * width);
        }
      }
      offset += width;
      return [input.name, toTensorOfType(input.dtype, data, [rows, ...input.rowDims])];
    }),
  );
}

function toTensorOfType(dtype: string, data: Float32Array, dims: number[]): Tensor {
  switch (dtype) {
    case "float32":
      return new Tensor("float32", data, dims);
    case "float64":
      return new Tensor("float64", Float64Array.from(data), dims);
    case "int64":
      return new Tensor(
        "int64",
        BigInt64Array.from(data, (value) => BigInt(Math.round(value))),
        dims,
      );
    case "int32":
      return new Tensor("int32", Int32Array.from(data), dims);
    default:
      throw new JobFailure(
        `input type ${dtype} cannot be fed from dataset columns yet; use float32, float64, int32 or int64`,
      );
  }
}

/** Summary metrics stored on the version (with the dataset), the keys charts and tables read. */
function versionMetrics(report: Record<string, unknown>, rowsPerSecond: number): Record<string, number> {
  const keys =
    report.task === "REGRESSION" || report.task === "regression"
      ? ["mae", "rmse", "r2"]
      : ["accuracy", "macroF1", "macroPrecision", "macroRecall", "logLoss", "rocAuc"];
  const metrics: Record<string, number> = { rows_per_second: rowsPerSecond };
  for (const key of keys) {
    const value = report[key];
    if (typeof value === "number" && Number.isFinite(value))
      metrics[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return metrics;
}

async function openPredictions(file: string, checkpoint: Checkpoint | null, plan: EvaluationPlan): Promise<FileHandle> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, "a+");
  const expected = checkpoint?.predictionsBytes ?? 0;
  // Lines written after the last checkpoint belong to a chunk that will be run again.
  await handle.truncate(expected);
  if (expected === 0) await handle.write(predictionsHeader(plan));
  return handle;
}

export async function processEvaluate(
  payload: JobPayload<typeof QueueName.Evaluate>,
  bullJob: BullJob,
  deps: { database: Db; log: Logger },
): Promise<void> {
  const { database } = deps;
  await runTrackedJob(database, bullJob, payload.jobId, deps.log, async (job) => {
    const attemptStarted = performance.now();
    const evaluation = await database.evaluation.findUnique({
      where: { id: payload.evaluationId },
      include: { version: { select: { artifactSha256: true } }, dataset: true },
    });
    if (!evaluation) throw new JobFailure("the evaluation was deleted before it ran");
    const plan = evaluationPlanSchema.parse(evaluation.mapping);
    const saved = evaluation.checkpoint ? checkpointSchema.parse(evaluation.checkpoint) : null;
    const file = path.join(config().DATA_DIR, "tmp", "evaluations", `${evaluation.id}.csv`);
    const fileLength = await stat(file).then(
      (info) => info.size,
      () => -1,
    );
    // A checkpoint is only good with the predictions it describes; without them, start over.
    const checkpoint = saved && fileLength >= saved.predictionsBytes ? saved : null;
    const accumulator = newAccumulator(plan, checkpoint?.accumulator);
    const dataset: StoredDataset = {
      name: evaluation.dataset.name,
      format: evaluation.dataset.format,
      sha256: evaluation.dataset.artifactSha256,
      rowCount: evaluation.dataset.rowCount,
      columns: z.array(datasetColumnSchema).parse(evaluation.dataset.columns),
      labelColumn: evaluation.dataset.labelColumn,
    };
    const session = await InferenceSession.create(artifactStore().localPath(evaluation.version.artifactSha256));
    const predictions = await openPredictions(file, checkpoint, plan);
    let state = {
      cursor: (checkpoint?.cursor ?? { row: 0, byte: 0 }) as DatasetCursor,
      predictionsBytes: (await predictions.stat()).size,
      computeMs: checkpoint?.computeMs ?? 0,
      chunks: checkpoint?.chunks ?? 0,
    };
    const elapsedBefore = checkpoint?.elapsedMs ?? 0;
    const timer = new StepTimer(checkpoint?.timings);
    try {
      const chunks = readDatasetRows(dataset, {
        columns: plan.inputs.flatMap((input) => input.columns),
        labelColumn: plan.labelColumn,
        chunkRows: config().EVALUATE_CHUNK_ROWS,
        start: state.cursor,
        dtype: "float32",
      });
      for await (const chunk of chunks) {
        timer.lap("read");
        if (await job.isCancelled()) {
          await rm(file, { force: true });
          return { cancelled: true, result: { rowsDone: state.cursor.row, rowsTotal: dataset.rowCount } };
        }
        timer.lap("checkpoint");
        const labels = checkLabels(plan, chunk.labels, chunk.rowOffset);
        timer.lap("read");
        const results = await session.run(toFeeds(plan, chunk.features, chunk.rows));
        const computeMs = timer.lap("run");
        const output = results[plan.output]!;
        const scores =
          output.data instanceof Float32Array ? output.data : Float32Array.from(output.data as ArrayLike<number>);
        accumulator.add(scores, labels, chunk.rows);
        timer.lap("metrics");
        const lines = predictionLines(plan, scores, chunk.rows, chunk.rowOffset);
        timer.lap("format");
        await predictions.write(lines);
        await predictions.datasync();
        timer.lap("write");
        state = {
          cursor: chunk.next,
          predictionsBytes: state.predictionsBytes + lines.length,
          computeMs: state.computeMs + computeMs,
          chunks: state.chunks + 1,
        };
        const next: Checkpoint = {
          ...state,
          accumulator: accumulator.toJSON(),
          elapsedMs: elapsedBefore + performance.now() - attemptStarted,
          timings: timer.totals,
        };
        // Progress is only for display, so it need not wait for the checkpoint (nor the reverse).
        await Promise.all([
          database.evaluation.update({
            where: { id: evaluation.id },
            data: { rowsDone: chunk.next.row, checkpoint: next as unknown as Prisma.InputJsonValue },
          }),
          job.reportProgress(0.98 * (chunk.next.row / Math.max(1, dataset.rowCount))),
        ]);
        timer.lap("checkpoint");
      }
    } catch (error) {
      // A problem with the data will not go away on a retry: leave no partial predictions behind.
      if (error instanceof JobFailure) await rm(file, { force: true });
      throw error;
    } finally {
      await predictions.close();
      await session.release();
    }
    if (accumulator.rows === 0) throw new JobFailure(`dataset '${dataset.name}' has no rows to evaluate`);

    timer.lap("read");
    const stored = await artifactStore().put(createReadStream(file), { maxBytes: Number.MAX_SAFE_INTEGER });
    timer.lap("store");
    const report =
      accumulator instanceof ClassificationAccumulator
        ? classificationReport(accumulator)
        : regressionReport(accumulator);
    timer.lap("metrics");
    const elapsedMs = elapsedBefore + performance.now() - attemptStarted;
    const rowsPerSecond = accumulator.rows / (elapsedMs / 1000);
    const fullReport = {
      ...report,
      rowsPerSecond,
      elapsedMs,
      meanChunkMs: state.computeMs / Math.max(1, state.chunks),
      chunkRows: config().EVALUATE_CHUNK_ROWS,
      /** Milliseconds per step (see STEPS); the session load and the final commit are not in them. */
      timings: timer.totals,
    };
    const metrics = versionMetrics(fullReport, rowsPerSecond);
    return {
      result: { rows: accumulator.rows, ...metrics },
      discard: () => releaseArtifact(database, stored.sha256),
      effect: async (tx) => {
        await claimArtifact(tx, stored);
        await tx.evaluation.update({
          where: { id: evaluation.id },
          data: {
            report: fullReport as unknown as Prisma.InputJsonValue,
            predictionsSha256: stored.sha256,
            rowsPerSecond,
            rowsDone: accumulator.rows,
            checkpoint: Prisma.DbNull,
            finishedAt: new Date(),
          },
        });
        const timestamp = new Date();
        await tx.versionMetric.createMany({
          data: Object.entries(metrics).map(([key, value]) => ({
            versionId: evaluation.versionId,
            datasetId: evaluation.datasetId,
            key,
            value,
            timestamp,
          })),
        });
        // Last, so a failed commit is retried from a clean start (no file means no checkpoint).
        await rm(file, { force: true });
      },
    };
  });
}
