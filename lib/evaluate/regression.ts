import { z } from "zod";
import { chunkRowCount } from "./chunk";

/**
 * Regression metrics computed chunk by chunk, with a JSON checkpoint like the classification
 * accumulator's. A non-finite prediction makes its row invalid: counted, then left out of every
 * metric. A non-finite target is bad data and rejects the chunk.
 *
 * R² needs the variance of the targets. The textbook Σy² − n·ȳ² cancels catastrophically for
 * values like 1e9 + noise (Σy² ≈ 1e24 carries an error near 1e8), so the targets' mean and sum of
 * squared deviations are kept with Welford's update on values shifted by the first one, and
 * combined with Chan et al.'s formula.
 * The error sums need no such care: their terms are never negative, so nothing cancels.
 */

const countSchema = z.number().int().nonnegative();

const momentsStateSchema = z.object({
  count: countSchema,
  shift: z.number(),
  mean: z.number(),
  m2: z.number().nonnegative(),
});
type MomentsState = z.infer<typeof momentsStateSchema>;

/**
 * Count, mean and sum of squared deviations from the mean of a stream of values, kept relative to
 * the first value (`shift`). Welford alone is not enough at 1e9: the running mean is rounded to
 * 1e9's spacing of 1.2e-7 at every step, and with deviations near 1e-3 that left R² off by 4e-8
 * over a million rows. Relative to a nearby value the deviations are small numbers with fine
 * spacing, and subtracting two nearby doubles is exact.
 */
class RunningMoments {
  count = 0;
  shift = 0;
  mean = 0;
  m2 = 0;

  add(value: number): void {
    if (this.count === 0) this.shift = value;
    this.count += 1;
    const shifted = value - this.shift;
    const delta = shifted - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (shifted - this.mean);
  }

  merge(other: MomentsState): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      // Copied, not combined: delta·n/n may round, and a restored checkpoint must be exact.
      ({ count: this.count, shift: this.shift, mean: this.mean, m2: this.m2 } = other);
      return;
    }
    const count = this.count + other.count;
    const delta = other.shift - this.shift + (other.mean - this.mean);
    this.mean += (delta * other.count) / count;
    this.m2 += other.m2 + (delta * delta * this.count * other.count) / count;
    this.count = count;
  }

  get value(): number {
    return this.shift + this.mean;
  }

  toJSON(): MomentsState {
    return { count: this.count, shift: this.shift, mean: this.mean, m2: this.m2 };
  }
}

export const regressionStateSchema = z.object({
  task: z.literal("regression"),
  version: z.literal(1),
  /** Chunks absorbed so far: where a resumed job starts reading. */
  chunks: countSchema,
  invalidRows: countSchema,
  absoluteErrorSum: z.number().nonnegative(),
  squaredErrorSum: z.number().nonnegative(),
  predictions: momentsStateSchema,
  targets: momentsStateSchema,
});
export type RegressionState = z.infer<typeof regressionStateSchema>;

export class RegressionAccumulator {
  private chunkCount = 0;
  private invalidRowCount = 0;
  private absoluteErrorSum = 0;
  private squaredErrorSum = 0;
  // Over valid rows only, so both counts equal the number of valid rows.
  private readonly predictions = new RunningMoments();
  private readonly targets = new RunningMoments();

  /** Adds one chunk; all or nothing, like ClassificationAccumulator.add. */
  add(predictions: ArrayLike<number>, targets: ArrayLike<number>, rows?: number): void {
    const rowCount = chunkRowCount(rows, targets.length, predictions.length, 1);
    for (let row = 0; row < rowCount; row++) {
      if (!Number.isFinite(targets[row]!)) throw new RangeError(`the target in row ${row} is ${targets[row]}`);
    }
    for (let row = 0; row < rowCount; row++) {
      const prediction = predictions[row]!;
      if (!Number.isFinite(prediction)) {
        this.invalidRowCount += 1;
        continue;
      }
      const target = targets[row]!;
      const error = prediction - target;
      this.absoluteErrorSum += Math.abs(error);
      this.squaredErrorSum += error * error;
      this.predictions.add(prediction);
      this.targets.add(target);
    }
    this.chunkCount += 1;
  }

  /** Adds another accumulator's sums (e.g. from a parallel worker); `other` is left unchanged. */
  merge(other: RegressionAccumulator): void {
    this.restore(other.toJSON());
    this.chunkCount += other.chunkCount;
  }

  get chunks(): number {
    return this.chunkCount;
  }

  get invalidRows(): number {
    return this.invalidRowCount;
  }

  get validRows(): number {
    return this.targets.count;
  }

  get rows(): number {
    return this.validRows + this.invalidRowCount;
  }

  toJSON(): RegressionState {
    return {
      task: "regression",
      version: 1,
      chunks: this.chunkCount,
      invalidRows: this.invalidRowCount,
      absoluteErrorSum: this.absoluteErrorSum,
      squaredErrorSum: this.squaredErrorSum,
      predictions: this.predictions.toJSON(),
      targets: this.targets.toJSON(),
    };
  }

  /** Restores a checkpoint; throws a ZodError when `json` is not one. */
  static fromJSON(json: unknown): RegressionAccumulator {
    const state = regressionStateSchema.parse(json);
    if (state.predictions.count !== state.targets.count) {
      throw new RangeError("a regression checkpoint must count as many predictions as targets");
    }
    const accumulator = new RegressionAccumulator();
    accumulator.restore(state);
    accumulator.chunkCount = state.chunks;
    return accumulator;
  }

  /** Adds a state's sums (not its chunk count), the one place merge and fromJSON combine sums. */
  private restore(state: RegressionState): void {
    this.invalidRowCount += state.invalidRows;
    this.absoluteErrorSum += state.absoluteErrorSum;
    this.squaredErrorSum += state.squaredErrorSum;
    this.predictions.merge(state.predictions);
    this.targets.merge(state.targets);
  }

  /** Read by regressionReport. */
  summary() {
    return {
      absoluteErrorSum: this.absoluteErrorSum,
      squaredErrorSum: this.squaredErrorSum,
      meanPrediction: this.predictions.value,
      meanTarget: this.targets.value,
      targetSquaredDeviationSum: this.targets.m2,
    };
  }
}

export interface RegressionReport {
  task: "regression";
  rows: number;
  invalidRows: number;
  /** The metrics below are over the valid rows, and null when there are none. */
  mae: number | null;
  rmse: number | null;
  /** Also null when the targets do not vary (R² divides by their variance). */
  r2: number | null;
  meanPrediction: number | null;
  meanTarget: number | null;
}

/** Final metrics; throws a RangeError when no rows were added, since there is nothing to report. */
export function regressionReport(accumulator: RegressionAccumulator): RegressionReport {
  const { rows, invalidRows, validRows } = accumulator;
  if (rows === 0) throw new RangeError("no rows were evaluated");
  const base = { task: "regression" as const, rows, invalidRows };
  if (validRows === 0) return { ...base, mae: null, rmse: null, r2: null, meanPrediction: null, meanTarget: null };
  const summary = accumulator.summary();
  return {
    ...base,
    mae: summary.absoluteErrorSum / validRows,
    rmse: Math.sqrt(summary.squaredErrorSum / validRows),
    // Welford leaves the deviation sum exactly 0 for a constant target, so no tolerance is needed.
    r2: summary.targetSquaredDeviationSum > 0 ? 1 - summary.squaredErrorSum / summary.targetSquaredDeviationSum : null,
    meanPrediction: summary.meanPrediction,
    meanTarget: summary.meanTarget,
  };
}
