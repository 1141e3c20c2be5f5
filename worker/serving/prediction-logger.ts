/**
 * Logs what an endpoint predicted, so ground truth sent later can be matched to it. The request path
 * only keeps a reference to the response's output tensors (after a sampling draw); classes, scores
 * and rows are worked out and written in the background. Memory stays bounded: while the store is
 * down, the oldest pending rows are dropped and counted, like the request metrics. A batch the store
 * refuses for its data is split until the refused rows stand alone; only those are dropped.
 */
import { toProbabilities } from "@/lib/evaluate/classification";
import type { Signature } from "@/lib/registry/schemas";
import { classifyWriteFailure, type PredictionLogRow, type WriteFailure } from "@/lib/serving/prediction-store";
import { predictionPlan, type PredictionPlan } from "@/lib/serving/predictions";
import type { HostTensor } from "./tensors";

/** The version a prediction came from, as the model host knows it. */
export interface PredictionSource {
  modelId: string;
  versionId: string;
  version: number;
  signature: Signature;
  settings: { predictionSampleRate: number };
}

interface PendingRequest {
  source: PredictionSource;
  plan: PredictionPlan;
  requestId: string;
  outputs: Record<string, HostTensor>;
  rows: number;
  at: Date;
}

/**
 * Why logged predictions were dropped: the store refused the row itself, or the buffer overflowed
 * while the store was unreachable, while writes failed otherwise, or while writes merely lagged.
 */
export const PREDICTION_DROP_REASONS = ["refused", "unreachable", "write_failed", "backlog"] as const;
export type PredictionDropReason = (typeof PREDICTION_DROP_REASONS)[number];

export interface PredictionLoggerOptions {
  write: (rows: PredictionLogRow[]) => Promise<void>;
  /** What a failed write says about its rows (by default, read from the database's error). */
  classify?: (error: unknown) => WriteFailure;
  /** Rows the store refused for their data, dropped; `error` is its answer for the last of them. */
  onRefused?: (rows: PredictionLogRow[], error: unknown) => void;
  /** Rows held while the store cannot be reached; older ones are dropped beyond this. */
  maxPendingRows?: number;
  /** Rows per write. */
  writeBatchRows?: number;
  onError?: (error: unknown) => void;
  random?: () => number;
}

const DEFAULT_MAX_PENDING_ROWS = 100_000;
const DEFAULT_WRITE_BATCH_ROWS = 2_000;

const numeric = (tensor: HostTensor | undefined): Float32Array | null => {
  if (!tensor || Array.isArray(tensor.data) || (tensor.type !== "float32" && tensor.type !== "float64")) return null;
  return tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as Float64Array);
};

/** Predicted class or value and its confidence for each row; rows that cannot be read are left out. */
export function readPredictions(
  plan: PredictionPlan,
  outputs: Record<string, HostTensor>,
  rows: number,
): { row: number; predicted: number; confidence: number | null }[] {
  const scores = numeric(plan.scoreOutput ? outputs[plan.scoreOutput] : undefined);
  const read: { row: number; predicted: number; confidence: number | null }[] = [];
  if (plan.kind === "value") {
    if (!scores || scores.length !== rows) return read;
    for (let row = 0; row < rows; row++) {
      if (Number.isFinite(scores[row]!)) read.push({ row, predicted: scores[row]!, confidence: null });
    }
    return read;
  }
  const columns = plan.classCount ?? 0;
  const probabilities =
    scores && columns >= 2 && scores.length === rows * columns ? toProbabilities(scores, columns) : null;
  const labels = plan.labelOutput ? outputs[plan.labelOutput]?.data : undefined;
  for (let row = 0; row < rows; row++) {
    const classProbabilities = probabilities?.subarray(row * columns, (row + 1) * columns);
    let predicted: number;
    if (labels && !Array.isArray(labels) && labels.length === rows) predicted = Number(labels[row]!);
    else if (classProbabilities) predicted = argmax(classProbabilities);
    else continue;
    if (!Number.isFinite(predicted)) continue;
    const confidence = classProbabilities?.[predicted];
    read.push({
      row,
      predicted,
      confidence: confidence !== undefined && Number.isFinite(confidence) ? confidence : null,
    });
  }
  return read;
}

/** Index of the largest value (the lowest on ties); NaN when a value is NaN (the row is unreadable). */
function argmax(values: Float64Array): number {
  let best = 0;
  for (let index = 0; index < values.length; index++) {
    if (Number.isNaN(values[index]!)) return Number.NaN;
    if (values[index]! > values[best]!) best = index;
  }
  return best;
}

export class PredictionLogger {
  private pending: PendingRequest[] = [];
  private pendingRequestRows = 0;
  /** Rows worked out but not yet written (a failed write puts them back here). */
  private unwritten: PredictionLogRow[] = [];
  private readonly plans = new WeakMap<Signature, PredictionPlan | null>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private readonly maxPendingRows: number;
  private readonly random: () => number;
  /** Rows dropped, by reason (see PredictionDropReason). */
  readonly droppedRows: Record<PredictionDropReason, number> = {
    refused: 0,
    unreachable: 0,
    write_failed: 0,
    backlog: 0,
  };
  /** Why the last write failed, until one succeeds: what rows dropped for lack of room are counted as. */
  private failing: "unreachable" | "write_failed" | null = null;

  constructor(private readonly options: PredictionLoggerOptions) {
    this.maxPendingRows = options.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS;
    this.random = options.random ?? Math.random;
  }

  get pendingRows(): number {
    return this.pendingRequestRows + this.unwritten.length;
  }

  /** Called after a successful answer; cheap, never throws, never waits. */
  record(source: PredictionSource, requestId: string, outputs: Record<string, HostTensor>, rows: number): void {
    const rate = source.settings.predictionSampleRate;
    if (rate <= 0 || (rate < 1 && this.random() >= rate)) return;
    const plan = this.planOf(source.signature);
    if (!plan) return;
    this.pending.push({ source, plan, requestId, outputs, rows, at: new Date() });
    this.pendingRequestRows += rows;
    this.enforceBound();
  }

  /** Writes everything recorded so far; a failed write keeps the rows for the next flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  private planOf(signature: Signature): PredictionPlan | null {
    if (!this.plans.has(signature)) this.plans.set(signature, predictionPlan(signature));
    return this.plans.get(signature)!;
  }

  private async writePending(): Promise<void> {
    const batchRows = this.options.writeBatchRows ?? DEFAULT_WRITE_BATCH_ROWS;
    for (;;) {
      // Rows are worked out a batch at a time, so the HTTP thread is never held for long.
      this.convertPending(batchRows);
      if (this.unwritten.length === 0) return;
      const batch = this.unwritten.splice(0, batchRows);
      const failed = await this.writeIsolatingRefused(batch);
      if (failed) {
        this.unwritten = failed.rows.concat(this.unwritten);
        this.failing = failed.reason;
        this.enforceBound();
        this.options.onError?.(failed.error);
        return;
      }
      this.failing = null;
    }
  }

  /**
   * Writes a batch; one the store refuses for its data is halved, and each half written, until the
   * rows it refuses stand alone and are dropped (a bad row costs about 2·log2(batch) statements).
   * Any other failure returns the rows not yet written, for a later flush.
   */
  private async writeIsolatingRefused(
    batch: PredictionLogRow[],
  ): Promise<{ rows: PredictionLogRow[]; reason: "unreachable" | "write_failed"; error: unknown } | null> {
    const classify = this.options.classify ?? classifyWriteFailure;
    // Last in, first out: the first half is written before the second, keeping the rows in order.
    const parts = [batch];
    while (parts.length > 0) {
      const part = parts.pop()!;
      try {
        await this.options.write(part);
        continue;
      } catch (error) {
        const failure = classify(error);
        if (failure !== "refused") {
          const rows = [part, ...parts.reverse()].flat();
          return { rows, reason: failure === "unreachable" ? "unreachable" : "write_failed", error };
        }
        if (part.length === 1) {
          this.droppedRows.refused += 1;
          this.options.onRefused?.(part, error);
          continue;
        }
        const half = Math.ceil(part.length / 2);
        parts.push(part.slice(half), part.slice(0, half));
      }
    }
    return null;
  }

  /** Turns the oldest pending requests into rows until `rows` rows wait to be written. */
  private convertPending(rows: number): void {
    let taken = 0;
    while (this.unwritten.length < rows && taken < this.pending.length) {
      const request = this.pending[taken++]!;
      this.pendingRequestRows -= request.rows;
      const { source } = request;
      for (const { row, predicted, confidence } of readPredictions(request.plan, request.outputs, request.rows)) {
        this.unwritten.push({
          requestId: request.requestId,
          modelId: source.modelId,
          versionId: source.versionId,
          version: source.version,
          row,
          predicted,
          confidence,
          createdAt: request.at,
        });
      }
    }
    if (taken > 0) this.pending.splice(0, taken);
  }

  /** Drops the oldest rows beyond the bound: unwritten ones first, then whole pending requests. */
  private enforceBound(): void {
    let excess = this.pendingRows - this.maxPendingRows;
    if (excess <= 0) return;
    const reason = this.failing ?? "backlog";
    const fromUnwritten = Math.min(excess, this.unwritten.length);
    this.unwritten.splice(0, fromUnwritten);
    this.droppedRows[reason] += fromUnwritten;
    excess -= fromUnwritten;
    while (excess > 0 && this.pending.length > 0) {
      const dropped = this.pending.shift()!;
      this.pendingRequestRows -= dropped.rows;
      this.droppedRows[reason] += dropped.rows;
      excess -= dropped.rows;
    }
  }
}
