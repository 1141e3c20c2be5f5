import { z } from "zod";
import { chunkRowCount } from "./chunk";
import { ScoreHistogram, scoreHistogramStateSchema } from "./score-histogram";

/**
 * Classification metrics computed chunk by chunk. The accumulator holds only counts and sums, so
 * its JSON is a checkpoint: restore it and carry on from the chunk after the last one it absorbed.
 *
 * Decisions shared by every metric here:
 * - A row's probabilities come from `toProbabilities`; the predicted class is their argmax and a tie
 *   goes to the lowest class index (with one output column: class 1 only when p > 0.5).
 * - A row with a non-finite score (NaN, or ±Infinity, which frameworks' own softmax turns into NaN)
 *   is invalid: it counts as a wrong prediction (no column of the confusion matrix, but it stays in
 *   its true class's support, so it lowers accuracy and recall), adds the largest clipped log loss,
 *   −ln(1e-15), and is left out of ROC AUC, which has no rank to give it.
 * - Precision, recall and F1 follow scikit-learn with zero_division=0. Macro averages run over the
 *   classes present in the labels or the predictions (scikit-learn's default): a class the data
 *   never contains and the model never predicts says nothing about the model, so it is listed in
 *   `perClass` with zeros but not averaged in.
 */

export const SCORE_MODES = ["auto", "softmax", "sigmoid", "none"] as const;
export type ScoreMode = (typeof SCORE_MODES)[number];

/** scikit-learn's log_loss clipping: a confident mistake costs −ln(1e-15) ≈ 34.5, not infinity. */
export const LOG_LOSS_EPSILON = 1e-15;
const INVALID_ROW_LOG_LOSS = -Math.log(LOG_LOSS_EPSILON);
const PROBABILITY_SUM_TOLERANCE = 1e-3;

function checkScoreLayout(columns: number, mode: ScoreMode): void {
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`the number of score columns must be a positive whole number, got ${columns}`);
  }
  if (mode === "sigmoid" && columns !== 1) {
    throw new RangeError(`sigmoid scores need a single column (a binary model), got ${columns}`);
  }
  if (mode === "softmax" && columns === 1) throw new RangeError("softmax needs at least two score columns");
}

function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}

function looksLikeProbabilities(scores: Float32Array, offset: number, columns: number): boolean {
  let sum = 0;
  for (let column = 0; column < columns; column++) {
    const score = scores[offset + column]!;
    if (!(score >= 0 && score <= 1)) return false;
    sum += score;
  }
  return Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE;
}

/**
 * Writes one row's class probabilities into `out` (max(columns, 2) values) and returns true, or
 * returns false when a score is not finite. "auto" decides per row, so the result for a row never
 * depends on which chunk it arrived in.
 */
function rowProbabilities(
  scores: Float32Array,
  offset: number,
  columns: number,
  mode: ScoreMode,
  out: Float64Array,
): boolean {
  for (let column = 0; column < columns; column++) {
    if (!Number.isFinite(scores[offset + column]!)) return false;
  }
  if (columns === 1) {
    const score = scores[offset]!;
    if (mode === "none" || (mode === "auto" && score >= 0 && score <= 1)) {
      out[0] = 1 - score;
      out[1] = score;
    } else {
      // σ(−x) rather than 1 − σ(x): the latter loses every digit when σ(x) is close to 1.
      out[0] = sigmoid(-score);
      out[1] = sigmoid(score);
    }
    return true;
  }
  if (mode === "none" || (mode === "auto" && looksLikeProbabilities(scores, offset, columns))) {
    for (let column = 0; column < columns; column++) out[column] = scores[offset + column]!;
    return true;
  }
  // Subtracting the maximum keeps exp() from overflowing; the result is unchanged.
  let max = -Infinity;
  for (let column = 0; column < columns; column++) max = Math.max(max, scores[offset + column]!);
  let sum = 0;
  for (let column = 0; column < columns; column++) {
    const exp = Math.exp(scores[offset + column]! - max);
    out[column] = exp;
    sum += exp;
  }
  for (let column = 0; column < columns; column++) out[column]! /= sum;
  return true;
}

/** Index of the largest value; strict comparison keeps the lowest index on ties. */
function argmax(values: Float64Array): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index]! > values[best]!) best = index;
  return best;
}

/**
 * Class probabilities for row-major `scores` with `columns` values per row: rows × max(columns, 2)
 * values, a row with a non-finite score filled with NaN. One column is a binary model's class 1, so
 * its rows become [1 − p, p].
 *
 * - "auto": a row whose values all lie in [0, 1] and sum to 1 within 1e-3 is taken as probabilities
 *   (as given, not renormalised); any other row gets a softmax. A single column in [0, 1] is a
 *   probability, anything else a logit. Pass the mode explicitly when the model's output is known:
 *   a logit of 0.3 looks like a probability.
 * - "softmax": always softmax (two or more columns). "sigmoid": the one column is a logit.
 * - "none": the scores are probabilities already.
 */
export function toProbabilities(scores: Float32Array, columns: number, mode: ScoreMode = "auto"): Float64Array {
  checkScoreLayout(columns, mode);
  if (scores.length % columns !== 0) {
    throw new RangeError(`${scores.length} scores do not divide into rows of ${columns} columns`);
  }
  const width = Math.max(columns, 2);
  const rows = scores.length / columns;
  const probabilities = new Float64Array(rows * width);
  for (let row = 0; row < rows; row++) {
    const out = probabilities.subarray(row * width, (row + 1) * width);
    if (!rowProbabilities(scores, row * columns, columns, mode, out)) out.fill(NaN);
  }
  return probabilities;
}

export interface ClassificationOptions {
  /** Number of classes, at least 2; labels are indices 0 .. classCount − 1. */
  classCount: number;
  /** Score columns per row: classCount (the default), or 1 for a binary model with one output. */
  scoreColumns?: number;
  scoreMode?: ScoreMode;
}

const countSchema = z.number().int().nonnegative();

/** The accumulator's JSON form, what a job stores after each finished chunk. */
export const classificationStateSchema = z
  .object({
    task: z.literal("classification"),
    version: z.literal(1),
    classCount: z.number().int().min(2),
    scoreColumns: z.number().int().positive(),
    scoreMode: z.enum(SCORE_MODES),
    /** Chunks absorbed so far: where a resumed job starts reading. */
    chunks: countSchema,
    /** Rows = true class, columns = predicted class; invalid rows are not in it. */
    confusionMatrix: z.array(z.array(countSchema)),
    invalidByClass: z.array(countSchema),
    logLossSum: z.number().nonnegative(),
    /** Binary tasks only: the exact distribution of class 1 probabilities. */
    roc: scoreHistogramStateSchema.nullable(),
  })
  .superRefine((state, context) => {
    const square =
      state.confusionMatrix.length === state.classCount &&
      state.confusionMatrix.every((row) => row.length === state.classCount);
    if (!square) context.addIssue({ code: "custom", message: "the confusion matrix must be classCount × classCount" });
    if (state.invalidByClass.length !== state.classCount) {
      context.addIssue({ code: "custom", message: "invalidByClass must have classCount entries" });
    }
    if ((state.roc !== null) !== (state.classCount === 2)) {
      context.addIssue({ code: "custom", message: "roc must be present exactly for two classes" });
    }
  });
export type ClassificationState = z.infer<typeof classificationStateSchema>;

export class ClassificationAccumulator {
  readonly classCount: number;
  readonly scoreColumns: number;
  readonly scoreMode: ScoreMode;
  private chunkCount = 0;
  /** Row-major classCount × classCount, rows = true class. */
  private readonly confusion: Float64Array;
  private readonly invalidByClass: Float64Array;
  private logLossSum = 0;
  private readonly roc: ScoreHistogram | null;
  // One row's probabilities, reused so that add() allocates nothing per row.
  private readonly probabilities: Float64Array;

  constructor({ classCount, scoreColumns = classCount, scoreMode = "auto" }: ClassificationOptions) {
    if (!Number.isInteger(classCount) || classCount < 2) {
      throw new RangeError(`a classifier needs at least two classes, got ${classCount}`);
    }
    if (scoreColumns !== classCount && !(classCount === 2 && scoreColumns === 1)) {
      throw new RangeError(
        `expected ${classCount} score columns${classCount === 2 ? " (or 1)" : ""}, got ${scoreColumns}`,
      );
    }
    checkScoreLayout(scoreColumns, scoreMode);
    this.classCount = classCount;
    this.scoreColumns = scoreColumns;
    this.scoreMode = scoreMode;
    this.confusion = new Float64Array(classCount * classCount);
    this.invalidByClass = new Float64Array(classCount);
    this.roc = classCount === 2 ? new ScoreHistogram() : null;
    this.probabilities = new Float64Array(classCount);
  }

  /**
   * Adds one chunk: `scores` row-major with `scoreColumns` values per row, `labels` the true class
   * indices. All or nothing: the whole chunk is checked before anything is counted, so a bad chunk
   * leaves the accumulator as it was.
   */
  add(scores: Float32Array, labels: ArrayLike<number>, rows?: number): void {
    const rowCount = chunkRowCount(rows, labels.length, scores.length, this.scoreColumns);
    for (let row = 0; row < rowCount; row++) {
      const label = labels[row]!;
      if (!Number.isInteger(label) || label < 0 || label >= this.classCount) {
        throw new RangeError(`label ${label} in row ${row} is not a class index from 0 to ${this.classCount - 1}`);
      }
    }
    const { classCount, scoreColumns, scoreMode, probabilities, confusion, roc } = this;
    for (let row = 0; row < rowCount; row++) {
      const label = labels[row]!;
      if (!rowProbabilities(scores, row * scoreColumns, scoreColumns, scoreMode, probabilities)) {
        this.invalidByClass[label]! += 1;
        this.logLossSum += INVALID_ROW_LOG_LOSS;
        continue;
      }
      confusion[label * classCount + argmax(probabilities)]! += 1;
      const trueProbability = Math.min(Math.max(probabilities[label]!, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
      this.logLossSum -= Math.log(trueProbability);
      roc?.add(probabilities[1]!, label === 1);
    }
    this.chunkCount += 1;
  }

  /** Adds another accumulator's counts (e.g. from a parallel worker); `other` is left unchanged. */
  merge(other: ClassificationAccumulator): void {
    if (other.classCount !== this.classCount) {
      throw new RangeError(`cannot merge ${other.classCount} classes into ${this.classCount}`);
    }
    for (let index = 0; index < this.confusion.length; index++) this.confusion[index]! += other.confusion[index]!;
    for (let index = 0; index < this.classCount; index++) this.invalidByClass[index]! += other.invalidByClass[index]!;
    this.logLossSum += other.logLossSum;
    if (other.roc) this.roc?.merge(other.roc);
    this.chunkCount += other.chunkCount;
  }

  get chunks(): number {
    return this.chunkCount;
  }

  get invalidRows(): number {
    return this.invalidByClass.reduce((sum, count) => sum + count, 0);
  }

  get rows(): number {
    return this.confusion.reduce((sum, count) => sum + count, 0) + this.invalidRows;
  }

  /** Counts of rows with true class `trueClass` predicted as `predictedClass`. */
  count(trueClass: number, predictedClass: number): number {
    return this.confusion[trueClass * this.classCount + predictedClass]!;
  }

  invalidRowsOf(trueClass: number): number {
    return this.invalidByClass[trueClass]!;
  }

  get logLossTotal(): number {
    return this.logLossSum;
  }

  /** Exact ROC AUC over the valid rows for two classes; null for more, or when a label is absent. */
  rocAuc(): number | null {
    return this.roc?.auc() ?? null;
  }

  toJSON(): ClassificationState {
    const { classCount } = this;
    return {
      task: "classification",
      version: 1,
      classCount,
      scoreColumns: this.scoreColumns,
      scoreMode: this.scoreMode,
      chunks: this.chunkCount,
      confusionMatrix: Array.from({ length: classCount }, (_, row) =>
        Array.from(this.confusion.subarray(row * classCount, (row + 1) * classCount)),
      ),
      invalidByClass: Array.from(this.invalidByClass),
      logLossSum: this.logLossSum,
      roc: this.roc?.toJSON() ?? null,
    };
  }

  /** Restores a checkpoint; throws a ZodError when `json` is not one. */
  static fromJSON(json: unknown): ClassificationAccumulator {
    const state = classificationStateSchema.parse(json);
    const accumulator = new ClassificationAccumulator(state);
    accumulator.confusion.set(state.confusionMatrix.flat());
    accumulator.invalidByClass.set(state.invalidByClass);
    accumulator.logLossSum = state.logLossSum;
    accumulator.chunkCount = state.chunks;
    if (state.roc) accumulator.roc?.merge(ScoreHistogram.fromJSON(state.roc));
    return accumulator;
  }
}

export interface ClassMetrics {
  class: number;
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class this is, invalid ones included. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
  /** Rows of this class with non-finite scores (in support, not in the confusion matrix). */
  invalid: number;
}

export interface ClassificationReport {
  task: "classification";
  rows: number;
  invalidRows: number;
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  weightedF1: number;
  perClass: ClassMetrics[];
  /** Rows = true class, columns = predicted class; invalid rows are counted in `perClass[].invalid`. */
  confusionMatrix: number[][];
  logLoss: number;
  /** Two classes only; null when the valid rows lack either label. */
  rocAuc: number | null;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Final metrics; throws a RangeError when no rows were added, since there is nothing to report. */
export function classificationReport(
  accumulator: ClassificationAccumulator,
  classNames?: readonly string[],
): ClassificationReport {
  const { classCount } = accumulator;
  if (classNames && classNames.length !== classCount) {
    throw new RangeError(`expected ${classCount} class names, got ${classNames.length}`);
  }
  const rows = accumulator.rows;
  if (rows === 0) throw new RangeError("no rows were evaluated");

  const classes = Array.from({ length: classCount }, (_, index) => index);
  const confusionMatrix = classes.map((trueClass) =>
    classes.map((predictedClass) => accumulator.count(trueClass, predictedClass)),
  );
  let correct = 0;
  const perClass = classes.map((index): ClassMetrics => {
    const truePositives = accumulator.count(index, index);
    const invalid = accumulator.invalidRowsOf(index);
    const support = confusionMatrix[index]!.reduce((sum, count) => sum + count, 0) + invalid;
    const predicted = confusionMatrix.reduce((sum, row) => sum + row[index]!, 0);
    correct += truePositives;
    return {
      class: index,
      name: classNames?.[index] ?? String(index),
      precision: predicted > 0 ? truePositives / predicted : 0,
      recall: support > 0 ? truePositives / support : 0,
      // 2·TP / (2·TP + FP + FN), equal to the harmonic mean of precision and recall, and 0 with them.
      f1: truePositives > 0 ? (2 * truePositives) / (support + predicted) : 0,
      support,
      predicted,
      invalid,
    };
  });
  const averaged = perClass.filter((metrics) => metrics.support > 0 || metrics.predicted > 0);

  return {
    task: "classification",
    rows,
    invalidRows: accumulator.invalidRows,
    accuracy: correct / rows,
    macroPrecision: mean(averaged.map((metrics) => metrics.precision)),
    macroRecall: mean(averaged.map((metrics) => metrics.recall)),
    macroF1: mean(averaged.map((metrics) => metrics.f1)),
    weightedF1: perClass.reduce((sum, metrics) => sum + metrics.f1 * metrics.support, 0) / rows,
    perClass,
    confusionMatrix,
    logLoss: accumulator.logLossTotal / rows,
    rocAuc: accumulator.rocAuc(),
  };
}
