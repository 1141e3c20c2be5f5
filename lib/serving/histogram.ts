/**
 * Log-scale latency histograms that merge exactly: 10-second buckets from many replicas add up
 * into minutes and hours, and percentiles of the sum are the percentiles of all the requests.
 *
 * Bucket i covers [BASE·R^i, BASE·R^(i+1)) milliseconds with R = 2^(1/8), so every bucket is about
 * 9% wide relative to its lower edge, whatever the latency scale (1 µs up to ~10 minutes in 234
 * buckets). Stored as a sparse { "index": count } object, which is what goes into the database.
 */

/** Bucket index (as a string, JSON object key) → number of values. */
export type SparseHistogram = Record<string, number>;

export const HISTOGRAM_BASE_MS = 0.001;
export const BUCKETS_PER_DOUBLING = 8;
export const HISTOGRAM_GROWTH = 2 ** (1 / BUCKETS_PER_DOUBLING);
/** Values from here up land in the last bucket; nothing we serve should take ten minutes. */
export const HISTOGRAM_MAX_MS = 10 * 60_000;

function uncheckedBucketIndex(ms: number): number {
  if (!(ms > HISTOGRAM_BASE_MS)) return 0;
  return Math.floor(Math.log2(ms / HISTOGRAM_BASE_MS) * BUCKETS_PER_DOUBLING);
}

/** The bucket holding HISTOGRAM_MAX_MS (≈9.75 to 10.6 minutes). */
export const MAX_BUCKET_INDEX = uncheckedBucketIndex(HISTOGRAM_MAX_MS);

/** Index of the bucket a value falls into; tiny values go to 0, huge ones to MAX_BUCKET_INDEX. */
export function bucketIndex(ms: number): number {
  return Math.min(uncheckedBucketIndex(ms), MAX_BUCKET_INDEX);
}

export function bucketLowerBound(index: number): number {
  return HISTOGRAM_BASE_MS * HISTOGRAM_GROWTH ** index;
}

export class LatencyHistogram {
  // Dense, because record() runs on every request: one log2 and one increment, no allocation.
  private readonly counts = new Float64Array(MAX_BUCKET_INDEX + 1);
  private total = 0;

  /** Adds one value in milliseconds; NaN, infinities and negative values are ignored. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketIndex(ms)]! += 1;
    this.total += 1;
  }

  merge(other: LatencyHistogram | SparseHistogram): void {
    if (other instanceof LatencyHistogram) {
      for (let index = 0; index <= MAX_BUCKET_INDEX; index++) this.counts[index]! += other.counts[index]!;
      this.total += other.total;
      return;
    }
    for (const [key, count] of Object.entries(other)) {
      const index = Number(key);
      // A corrupted or foreign entry is dropped rather than poisoning every merge it takes part in.
      if (!Number.isInteger(index) || index < 0 || !Number.isFinite(count) || count <= 0) continue;
      this.counts[Math.min(index, MAX_BUCKET_INDEX)]! += count;
      this.total += count;
    }
  }

  get count(): number {
    return this.total;
  }

  /**
   * The value below which a fraction `q` (0..1) of the recorded values lie, or null when nothing
   * was recorded. Throws a RangeError for q outside 0..1 or NaN. q = 0 gives the lower edge of the
   * lowest non-empty bucket and q = 1 the upper edge of the highest, so the answer always lies
   * within the bucket holding the true quantile: relative error below R − 1 ≈ 9%.
   *
   * Within a bucket the answer is interpolated geometrically (values spread evenly in log space):
   * the buckets themselves are log-spaced and latencies are roughly log-normal, so this is the
   * interpolation matching the bucket layout and it treats both halves of a bucket alike in
   * relative terms, where linear interpolation would bias toward the upper edge.
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
    if (this.total === 0) return null;
    const rank = q * this.total;
    let below = 0;
    let last = 0;
    for (let index = 0; index <= MAX_BUCKET_INDEX; index++) {
      const count = this.counts[index]!;
      if (count === 0) continue;
      if (below + count >= rank) return bucketLowerBound(index) * HISTOGRAM_GROWTH ** ((rank - below) / count);
      below += count;
      last = index;
    }
    // Only reachable through floating-point rounding of q·total at q = 1.
    return bucketLowerBound(last + 1);
  }

  toSparse(): SparseHistogram {
    const sparse: SparseHistogram = {};
    for (let index = 0; index <= MAX_BUCKET_INDEX; index++) {
      const count = this.counts[index]!;
      if (count > 0) sparse[index] = count;
    }
    return sparse;
  }

  static fromSparse(sparse: SparseHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(sparse);
    return histogram;
  }
}

/** Goes through LatencyHistogram so both inputs are validated and clamped the same way as in merge(). */
export function mergeSparse(a: SparseHistogram, b: SparseHistogram): SparseHistogram {
  const merged = LatencyHistogram.fromSparse(a);
  merged.merge(b);
  return merged.toSparse();
}

export function quantileOfSparse(sparse: SparseHistogram, q: number): number | null {
  return LatencyHistogram.fromSparse(sparse).quantile(q);
}
