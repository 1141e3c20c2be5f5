import { LatencyHistogram, type SparseHistogram } from "./histogram";

/**
 * In-memory request statistics of one serving replica. The request path only adds numbers to the
 * open 10-second bucket of its version; buckets (closed ones, and the running totals of open ones)
 * are written to the store in the background by flush(), so a slow or unreachable database never
 * slows a request down. Memory stays bounded:
 * while the store is down, the oldest closed buckets are dropped and counted.
 */

/** One row of `endpoint_metric_bucket`, as the replica writes it. */
export interface BucketRecord {
  modelId: string;
  versionId: string;
  version: number;
  replicaId: string;
  resolutionSeconds: number;
  bucketStart: Date;
  requests: number;
  errors: number;
  latency: SparseHistogram;
  queueMsSum: number;
  computeMsSum: number;
  /** Rows per `session.run` → number of runs. */
  batchSizes: Record<string, number>;
  lastRequestAt: Date;
}

/** The additive part of a bucket: what merging two buckets of the same version sums up. */
export type BucketCounts = Pick<
  BucketRecord,
  "requests" | "errors" | "latency" | "queueMsSum" | "computeMsSum" | "batchSizes" | "lastRequestAt"
>;

const finiteOrZero = (value: number) => (Number.isFinite(value) ? value : 0);

/** Adds { key: count } maps such as batch sizes; entries that are not finite positive counts are skipped. */
export function addCounts(target: Record<string, number>, source: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(source)) {
    if (Number.isFinite(count) && count > 0) target[key] = (target[key] ?? 0) + count;
  }
}

/**
 * Running totals of one bucket. Every field is a sum, a max or a count map, so totals merge
 * exactly; the metric store uses the same class to roll buckets up and to answer queries.
 */
export class BucketTotals {
  requests = 0;
  errors = 0;
  queueMsSum = 0;
  computeMsSum = 0;
  /** Milliseconds since the epoch; 0 while there was no activity. */
  lastRequestAtMs = 0;
  /** Every request's latency, successful or not, so latency.count equals requests. */
  readonly latency = new LatencyHistogram();
  readonly batchSizes: Record<string, number> = {};

  recordRequest(latencyMs: number, queueMs: number, computeMs: number, ok: boolean, atMs: number): void {
    this.requests += 1;
    if (!ok) this.errors += 1;
    this.latency.record(latencyMs);
    this.queueMsSum += finiteOrZero(queueMs);
    this.computeMsSum += finiteOrZero(computeMs);
    this.touch(atMs);
  }

  recordBatch(rows: number, atMs: number): void {
    if (!Number.isInteger(rows) || rows < 1) return;
    this.batchSizes[rows] = (this.batchSizes[rows] ?? 0) + 1;
    // A batch is request activity too; a bucket that saw only batches still needs a last-request time.
    this.touch(atMs);
  }

  add(counts: BucketCounts): void {
    this.requests += counts.requests;
    this.errors += counts.errors;
    this.latency.merge(counts.latency);
    this.queueMsSum += counts.queueMsSum;
    this.computeMsSum += counts.computeMsSum;
    addCounts(this.batchSizes, counts.batchSizes);
    this.touch(counts.lastRequestAt.getTime());
  }

  toCounts(): BucketCounts {
    return {
      requests: this.requests,
      errors: this.errors,
      latency: this.latency.toSparse(),
      queueMsSum: this.queueMsSum,
      computeMsSum: this.computeMsSum,
      batchSizes: { ...this.batchSizes },
      lastRequestAt: new Date(this.lastRequestAtMs),
    };
  }

  private touch(atMs: number): void {
    if (atMs > this.lastRequestAtMs) this.lastRequestAtMs = atMs;
  }
}

export interface VersionRef {
  modelId: string;
  versionId: string;
  version: number;
}

export interface RequestSample extends VersionRef {
  latencyMs: number;
  queueMs: number;
  computeMs: number;
  ok: boolean;
}

export interface BatchSample extends VersionRef {
  rows: number;
}

export interface MetricsRecorderOptions {
  replicaId: string;
  write: (records: BucketRecord[]) => Promise<void>;
  /** Closed buckets kept while the store is unreachable; beyond this the oldest are dropped. */
  maxPendingBuckets?: number;
  bucketSeconds?: number;
  now?: () => number;
  /** Told about failed background flushes (start/stop); the recorder itself logs nothing. */
  onError?: (error: unknown) => void;
}

export interface FlushResult {
  written: number;
  /** Closed buckets still waiting (only non-zero when buckets closed during the write). */
  pending: number;
}

interface OpenBucket extends VersionRef {
  startMs: number;
  totals: BucketTotals;
}

export const DEFAULT_MAX_PENDING_BUCKETS = 20_000;
/** The finest resolution in the store; the metric store rolls these up into minutes and hours. */
export const DEFAULT_BUCKET_SECONDS = 10;

export class MetricsRecorder {
  private readonly replicaId: string;
  private readonly write: (records: BucketRecord[]) => Promise<void>;
  private readonly maxPendingBuckets: number;
  private readonly bucketSeconds: number;
  private readonly bucketMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;

  /** The current bucket of every version this replica served; at most one per version. */
  private readonly open = new Map<string, OpenBucket>();
  private pending: BucketRecord[] = [];
  private dropped = 0;
  /** Buckets starting before this were already written early (flush with includeOpen). */
  private sealedBeforeMs = -Infinity;
  private flushChain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: MetricsRecorderOptions) {
    this.replicaId = options.replicaId;
    this.write = options.write;
    this.maxPendingBuckets = options.maxPendingBuckets ?? DEFAULT_MAX_PENDING_BUCKETS;
    this.bucketSeconds = options.bucketSeconds ?? DEFAULT_BUCKET_SECONDS;
    this.bucketMs = this.bucketSeconds * 1000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  /** Closed buckets dropped, oldest first, because the store stayed unreachable for too long. */
  get droppedBuckets(): number {
    return this.dropped;
  }

  get pendingBuckets(): number {
    return this.pending.length;
  }

  recordRequest(sample: RequestSample): void {
    const now = this.now();
    this.bucketAt(sample, now).recordRequest(sample.latencyMs, sample.queueMs, sample.computeMs, sample.ok, now);
  }

  /** Counts one `session.run` over `rows` rows. */
  recordBatch(sample: BatchSample): void {
    const now = this.now();
    this.bucketAt(sample, now).recordBatch(sample.rows, now);
  }

  /**
   * Writes every closed bucket (and with `includeOpen`, the current ones too: shutdown only).
   * With `snapshotOpen`, the running totals of the current buckets go along, still open, so the
   * dashboard is seconds behind rather than a bucket behind; the store replaces a bucket's earlier
   * totals. Calls run one after another, so writes never overlap and reach the store oldest first;
   * each closed bucket is handed to `write` until one call succeeds. If the write fails the closed
   * buckets stay pending for the next flush and the error is thrown for the caller to log.
   */
  flush(options: { includeOpen?: boolean; snapshotOpen?: boolean } = {}): Promise<FlushResult> {
    const run = this.flushChain.then(() => this.flushNow(options.includeOpen ?? false, options.snapshotOpen ?? false));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Flushes every `intervalMs` (open buckets' running totals too), never two at once; failures go to `onError`. */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.flush({ snapshotOpen: true })
        .catch(this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the timer and writes everything, open buckets included. Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush({ includeOpen: true }).catch(this.onError);
  }

  private bucketAt(ref: VersionRef, nowMs: number): BucketTotals {
    // Never reopen a window already written early: the store would skip it as a duplicate.
    const startMs = Math.max(this.windowStart(nowMs), this.sealedBeforeMs);
    const current = this.open.get(ref.versionId);
    // A clock stepping back keeps adding to the current bucket rather than reopening an old one.
    if (current && current.startMs >= startMs) return current.totals;
    if (current) this.close(current);
    const bucket: OpenBucket = {
      modelId: ref.modelId,
      versionId: ref.versionId,
      version: ref.version,
      startMs,
      totals: new BucketTotals(),
    };
    this.open.set(ref.versionId, bucket);
    return bucket.totals;
  }

  private close(bucket: OpenBucket): void {
    this.pending.push(this.recordOf(bucket));
    this.dropOverflow();
  }

  private recordOf(bucket: OpenBucket): BucketRecord {
    return {
      modelId: bucket.modelId,
      versionId: bucket.versionId,
      version: bucket.version,
      replicaId: this.replicaId,
      resolutionSeconds: this.bucketSeconds,
      bucketStart: new Date(bucket.startMs),
      ...bucket.totals.toCounts(),
    };
  }

  private dropOverflow(): void {
    const excess = this.pending.length - this.maxPendingBuckets;
    if (excess <= 0) return;
    this.pending.splice(0, excess);
    this.dropped += excess;
  }

  private closeFinishedBuckets(includeOpen: boolean): void {
    const nowMs = this.now();
    if (includeOpen) this.sealedBeforeMs = Math.max(this.sealedBeforeMs, this.windowStart(nowMs) + this.bucketMs);
    for (const [versionId, bucket] of this.open) {
      const endMs = bucket.startMs + this.bucketMs;
      if (!includeOpen && endMs > nowMs) continue;
      this.open.delete(versionId);
      this.close(bucket);
      if (includeOpen) this.sealedBeforeMs = Math.max(this.sealedBeforeMs, endMs);
    }
  }

  private windowStart(nowMs: number): number {
    return Math.floor(nowMs / this.bucketMs) * this.bucketMs;
  }

  private async flushNow(includeOpen: boolean, snapshotOpen: boolean): Promise<FlushResult> {
    this.closeFinishedBuckets(includeOpen);
    const batch = this.pending;
    // Snapshots are not kept on failure: the next flush sends fresher totals anyway.
    const snapshots = snapshotOpen ? [...this.open.values()].map((bucket) => this.recordOf(bucket)) : [];
    if (batch.length + snapshots.length === 0) return { written: 0, pending: 0 };
    this.pending = [];
    try {
      await this.write(snapshots.length === 0 ? batch : batch.concat(snapshots));
    } catch (error) {
      // Older than anything closed meanwhile, so back to the front, where overflow drops first.
      this.pending = batch.concat(this.pending);
      this.dropOverflow();
      throw error;
    }
    return { written: batch.length + snapshots.length, pending: this.pending.length };
  }
}
