import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/onnx";
import {
  bucketIndex,
  bucketLowerBound,
  HISTOGRAM_GROWTH,
  HISTOGRAM_MAX_MS,
  LatencyHistogram,
  MAX_BUCKET_INDEX,
  mergeSparse,
  quantileOfSparse,
} from "./histogram";

/** Log-normal latencies around `medianMs` (Box–Muller over a seeded PRNG). */
function lognormalSample(count: number, seed: number, medianMs = 20, sigma = 0.8): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return medianMs * Math.exp(sigma * normal);
  });
}

/** Nearest-rank quantile of a sorted sample. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

function histogramOf(values: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of values) histogram.record(value);
  return histogram;
}

const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

describe("bucket layout", () => {
  it("puts every value in the bucket whose bounds contain it", () => {
    for (const value of [0.0015, 0.37, 1, 12.5, 999.9, 123_456]) {
      const index = bucketIndex(value);
      expect(bucketLowerBound(index)).toBeLessThanOrEqual(value);
      expect(bucketLowerBound(index + 1)).toBeGreaterThan(value);
    }
  });

  it("makes the last bucket the one holding ten minutes", () => {
    expect(bucketLowerBound(MAX_BUCKET_INDEX)).toBeLessThanOrEqual(HISTOGRAM_MAX_MS);
    expect(bucketLowerBound(MAX_BUCKET_INDEX + 1)).toBeGreaterThan(HISTOGRAM_MAX_MS);
  });
});

describe("LatencyHistogram", () => {
  it("estimates quantiles of a log-normal sample within one bucket width (< 10%)", () => {
    const values = lognormalSample(20_000, 42);
    const sorted = [...values].sort((a, b) => a - b);
    const histogram = histogramOf(values);
    expect(histogram.count).toBe(values.length);
    for (const q of QUANTILES) {
      const estimate = histogram.quantile(q)!;
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(estimate - exact) / exact, `q=${q}`).toBeLessThan(HISTOGRAM_GROWTH - 1);
    }
  });

  it("interpolates within the bucket, so the estimate is far better than a bucket edge on smooth data", () => {
    const values = lognormalSample(50_000, 7);
    const sorted = [...values].sort((a, b) => a - b);
    const histogram = histogramOf(values);
    const errors = QUANTILES.slice(1, -1).map((q) => Math.abs(histogram.quantile(q)! / exactQuantile(sorted, q) - 1));
    // A bucket edge is off by up to 9%; even the mean error of an edge would be ~4.5%.
    expect(Math.max(...errors)).toBeLessThan(0.01);
  });

  it("returns quantiles that never decrease with q and stay within the recorded range's buckets", () => {
    const values = lognormalSample(1000, 3);
    const histogram = histogramOf(values);
    const estimates = [0, ...QUANTILES, 1].map((q) => histogram.quantile(q)!);
    for (let i = 1; i < estimates.length; i++) expect(estimates[i]!).toBeGreaterThanOrEqual(estimates[i - 1]!);
    expect(estimates[0]).toBe(bucketLowerBound(bucketIndex(Math.min(...values))));
    expect(estimates.at(-1)).toBeCloseTo(bucketLowerBound(bucketIndex(Math.max(...values)) + 1), 9);
  });

  it("merges to exactly what recording every value into one histogram gives", () => {
    const values = lognormalSample(5000, 11);
    const first = histogramOf(values.slice(0, 1234));
    const second = histogramOf(values.slice(1234));
    const all = histogramOf(values);

    const merged = histogramOf([]);
    merged.merge(first);
    merged.merge(second.toSparse());
    expect(merged.toSparse()).toEqual(all.toSparse());
    expect(merged.count).toBe(values.length);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(all.quantile(q));
    expect(mergeSparse(first.toSparse(), second.toSparse())).toEqual(all.toSparse());
  });

  it("survives a round trip through JSON", () => {
    const histogram = histogramOf(lognormalSample(3000, 5));
    const restored = LatencyHistogram.fromSparse(JSON.parse(JSON.stringify(histogram.toSparse())));
    expect(restored.toSparse()).toEqual(histogram.toSparse());
    expect(restored.count).toBe(histogram.count);
    for (const q of QUANTILES) {
      expect(restored.quantile(q)).toBe(histogram.quantile(q));
      expect(quantileOfSparse(histogram.toSparse(), q)).toBe(histogram.quantile(q));
    }
  });

  it("answers null for an empty histogram and rejects a quantile outside 0..1", () => {
    const empty = new LatencyHistogram();
    expect(empty.count).toBe(0);
    expect(empty.quantile(0.5)).toBeNull();
    expect(empty.toSparse()).toEqual({});
    expect(LatencyHistogram.fromSparse({}).quantile(0.99)).toBeNull();
    expect(quantileOfSparse({}, 0)).toBeNull();
    for (const q of [NaN, -0.1, 1.5]) expect(() => empty.quantile(q)).toThrow(RangeError);
  });

  it("puts tiny values in the first bucket, clamps huge ones to the last and ignores invalid ones", () => {
    const histogram = histogramOf([0, 1e-9, 0.0005, 1e9, Number.MAX_VALUE, NaN, -1, Infinity, -Infinity]);
    expect(histogram.toSparse()).toEqual({ 0: 3, [MAX_BUCKET_INDEX]: 2 });
    expect(histogram.count).toBe(5);
    expect(histogram.quantile(0)).toBe(bucketLowerBound(0));
    expect(histogram.quantile(1)).toBeCloseTo(bucketLowerBound(MAX_BUCKET_INDEX + 1), 6);
    expect(histogram.quantile(1)).toBeLessThan(HISTOGRAM_MAX_MS * HISTOGRAM_GROWTH);
  });

  it("skips entries of a stored histogram that are not bucket counts", () => {
    const histogram = LatencyHistogram.fromSparse({ 40: 2, x: 5, "-3": 1, 41: -1, 42: NaN, 1.5: 3, 100_000: 1 });
    expect(histogram.toSparse()).toEqual({ 40: 2, [MAX_BUCKET_INDEX]: 1 });
  });
});
