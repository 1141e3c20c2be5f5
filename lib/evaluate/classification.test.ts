import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/onnx";
import {
  ClassificationAccumulator,
  classificationReport,
  toProbabilities,
  type ClassificationOptions,
  type ClassificationReport,
} from "./index";

// Expected values are worked out by hand in the comments; logarithms to 16 digits by calculator.
// Probabilities in the examples are dyadic (0.625, 0.375, ...) so float32 holds them exactly.

const f32 = (rows: number[][]) => Float32Array.from(rows.flat());

function accumulate(options: ClassificationOptions, rows: number[][], labels: number[]): ClassificationAccumulator {
  const accumulator = new ClassificationAccumulator(options);
  accumulator.add(f32(rows), labels);
  return accumulator;
}

const reportOf = (options: ClassificationOptions, rows: number[][], labels: number[]): ClassificationReport =>
  classificationReport(accumulate(options, rows, labels));

/** Worse than the worst clipped log loss of a valid row: −ln(1e-15) = 15·ln 10. */
const MAX_LOG_LOSS = 34.538776394910684;

describe("toProbabilities", () => {
  it("keeps rows that are probabilities and gives every other row a softmax", () => {
    const probabilities = toProbabilities(
      f32([
        [0.25, 0.25, 0.5], // probabilities
        [1, 2, 3], // logits: e^(x−3) / Σ = [e^−2, e^−1, 1] / (1 + e^−1 + e^−2)
        [0.5, 0.5, 0.5], // each in [0, 1] but the sum is 1.5: softmax of equal values, 1/3 each
        [0.3, 0.3, 0.3995], // float32 sum 0.99950004, within 1e-3 of 1: kept
        [0.3, 0.3, 0.398], // float32 sum 0.99800003, off by 2e-3: softmax
        [-0.25, 0.75, 0.5], // sums to 1 but has a negative value: softmax
      ]),
      3,
    );
    const expected = [
      [0.25, 0.25, 0.5],
      [0.09003057317038046, 0.24472847105479767, 0.6652409557748219],
      [1 / 3, 1 / 3, 1 / 3],
      [Math.fround(0.3), Math.fround(0.3), Math.fround(0.3995)],
      // e^(x − 0.398) / Σ over the float32 inputs
      [0.32227263838241793, 0.32227263838241793, 0.3554547232351642],
      [0.17137132816379141, 0.465835567266526, 0.36279310456968256],
    ].flat();
    expect(probabilities).toHaveLength(expected.length);
    expected.forEach((value, index) => expect(probabilities[index]).toBeCloseTo(value, 15));
  });

  it("applies the mode it is given instead of guessing", () => {
    // softmax([0.25, 0.25, 0.5]) = e^(x − 0.5) / Σ
    expect(Array.from(toProbabilities(f32([[0.25, 0.25, 0.5]]), 3, "softmax"))).toEqual([
      expect.closeTo(0.304504342420284, 15),
      expect.closeTo(0.304504342420284, 15),
      expect.closeTo(0.39099131515943186, 15),
    ]);
    expect(Array.from(toProbabilities(f32([[2, -1, 0.5]]), 3, "none"))).toEqual([2, -1, 0.5]);
  });

  it("stays finite for huge logits", () => {
    // e^(x − 1000) = [1, e^−1000 = 0, e^−2000 = 0]
    expect(Array.from(toProbabilities(f32([[1000, 0, -1000]]), 3))).toEqual([1, 0, 0]);
  });

  it("turns one column into [1 − p, p], reading it as a probability in [0, 1] and a logit outside", () => {
    const scores = Float32Array.from([0.25, 0, 2, -2, 1.5]);
    // σ(2) = 0.8807970779778823, σ(−2) = 0.11920292202211755, σ(1.5) = 0.8175744761936437
    expect(Array.from(toProbabilities(scores, 1, "auto"))).toEqual([
      0.75,
      0.25,
      1,
      0,
      expect.closeTo(0.11920292202211755, 15),
      expect.closeTo(0.8807970779778823, 15),
      expect.closeTo(0.8807970779778823, 15),
      expect.closeTo(0.11920292202211755, 15),
      expect.closeTo(1 - 0.8175744761936437, 15),
      expect.closeTo(0.8175744761936437, 15),
    ]);
    // σ(0.25) = 0.5621765008857981, σ(0) = 0.5
    expect(Array.from(toProbabilities(scores.subarray(0, 2), 1, "sigmoid"))).toEqual([
      expect.closeTo(1 - 0.5621765008857981, 15),
      expect.closeTo(0.5621765008857981, 15),
      0.5,
      0.5,
    ]);
    expect(Array.from(toProbabilities(Float32Array.from([1.5]), 1, "none"))).toEqual([-0.5, 1.5]);
  });

  it("fills a row with NaN when any of its scores is not finite", () => {
    const probabilities = toProbabilities(
      f32([
        [0.5, NaN],
        [Infinity, 0],
        [0.25, 0.75],
      ]),
      2,
    );
    expect(Array.from(probabilities)).toEqual([NaN, NaN, NaN, NaN, 0.25, 0.75]);
  });

  it("rejects layouts the mode cannot read", () => {
    expect(() => toProbabilities(f32([[0, 1, 2]]), 3, "sigmoid")).toThrow(RangeError);
    expect(() => toProbabilities(Float32Array.from([0.5]), 1, "softmax")).toThrow(RangeError);
    expect(() => toProbabilities(Float32Array.from([1, 2, 3, 4]), 3)).toThrow(RangeError);
    expect(() => toProbabilities(Float32Array.from([1]), 0)).toThrow(RangeError);
  });
});

describe("classificationReport", () => {
  it("matches a three-class example worked by hand", () => {
    const report = classificationReport(
      accumulate(
        { classCount: 3 },
        [
          [0.75, 0.125, 0.125], // true 0, predicted 0, p(true) = 0.75
          [0.5, 0.25, 0.25], // true 0, predicted 0, 0.5
          [0.25, 0.5, 0.25], // true 0, predicted 1, 0.25
          [0.125, 0.75, 0.125], // true 1, predicted 1, 0.75
          [0.25, 0.25, 0.5], // true 1, predicted 2, 0.25
          [0.125, 0.25, 0.625], // true 2, predicted 2, 0.625
          [0.25, 0.5, 0.25], // true 2, predicted 1, 0.25
          [0.25, 0.625, 0.125], // true 1, predicted 1, 0.625
        ],
        [0, 0, 0, 1, 1, 2, 2, 1],
      ),
      ["cat", "dog", "bird"],
    );
    // support (row sums) [3, 3, 2], predicted (column sums) [2, 4, 2], diagonal [2, 2, 1]
    expect(report.confusionMatrix).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [0, 1, 1],
    ]);
    expect(report.rows).toBe(8);
    expect(report.invalidRows).toBe(0);
    expect(report.accuracy).toBe(5 / 8);
    // precision = diagonal / predicted = [1, 1/2, 1/2]; recall = diagonal / support = [2/3, 2/3, 1/2]
    // F1 = 2·TP / (support + predicted) = [4/5, 4/7, 2/4]
    expect(report.perClass).toEqual([
      { class: 0, name: "cat", precision: 1, recall: 2 / 3, f1: 4 / 5, support: 3, predicted: 2, invalid: 0 },
      { class: 1, name: "dog", precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3, predicted: 4, invalid: 0 },
      { class: 2, name: "bird", precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, support: 2, predicted: 2, invalid: 0 },
    ]);
    expect(report.macroPrecision).toBeCloseTo(2 / 3, 15); // (1 + 1/2 + 1/2) / 3
    expect(report.macroRecall).toBeCloseTo(11 / 18, 15); // (2/3 + 2/3 + 1/2) / 3
    expect(report.macroF1).toBeCloseTo(131 / 210, 15); // (4/5 + 4/7 + 1/2) / 3 = (28 + 20 + 17.5) / 105
    expect(report.weightedF1).toBeCloseTo(179 / 280, 15); // (3·4/5 + 3·4/7 + 2·1/2) / 8 = (179/35) / 8
    // (2·−ln 0.75 + −ln 0.5 + 3·−ln 0.25 + 2·−ln 0.625) / 8
    // = (2·0.2876820724517809 + 0.6931471805599453 + 3·1.3862943611198906 + 2·0.4700036292457356) / 8
    expect(report.logLoss).toBeCloseTo(0.7959252084143312, 15);
    expect(report.rocAuc).toBeNull();
  });

  it("breaks argmax ties toward the lowest class index", () => {
    const report = reportOf(
      { classCount: 3 },
      [
        [0.375, 0.375, 0.25], // probabilities, 0 and 1 tie: predicted 0
        [0.25, 0.375, 0.375], // 1 and 2 tie: predicted 1
        [2, 5, 5], // logits, 1 and 2 tie: predicted 1
        [7, 7, 7], // all tie: predicted 0
      ],
      [1, 2, 2, 0],
    );
    expect(report.confusionMatrix).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 2, 0],
    ]);

    // One column: p = 0.5 and a logit of 0 are ties between class 0 and class 1.
    expect(reportOf({ classCount: 2, scoreColumns: 1 }, [[0.5], [0.625]], [1, 1]).confusionMatrix).toEqual([
      [0, 0],
      [1, 1],
    ]);
    const sigmoid = { classCount: 2, scoreColumns: 1, scoreMode: "sigmoid" } as const;
    expect(reportOf(sigmoid, [[0], [0.001]], [1, 1]).confusionMatrix).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it("gives a class that is never predicted zero precision and counts it in the averages", () => {
    const report = reportOf(
      { classCount: 3 },
      [
        [0.75, 0.125, 0.125], // true 0 → 0
        [0.5, 0.25, 0.25], // true 0 → 0
        [0.25, 0.625, 0.125], // true 1 → 1
        [0.5, 0.375, 0.125], // true 1 → 0
        [0.375, 0.5, 0.125], // true 2 → 1
        [0.5, 0.25, 0.25], // true 2 → 0
      ],
      [0, 0, 1, 1, 2, 2],
    );
    // support [2, 2, 2], predicted [4, 2, 0], diagonal [2, 1, 0]
    expect(report.confusionMatrix).toEqual([
      [2, 0, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    // precision [2/4, 1/2, 0 (nothing predicted)], recall [1, 1/2, 0], F1 [4/6, 2/4, 0]
    expect(report.perClass.map(({ precision, recall, f1 }) => [precision, recall, f1])).toEqual([
      [1 / 2, 1, 2 / 3],
      [1 / 2, 1 / 2, 1 / 2],
      [0, 0, 0],
    ]);
    expect(report.accuracy).toBe(1 / 2);
    expect(report.macroPrecision).toBeCloseTo(1 / 3, 15); // (1/2 + 1/2 + 0) / 3
    expect(report.macroRecall).toBeCloseTo(1 / 2, 15); // (1 + 1/2 + 0) / 3
    expect(report.macroF1).toBeCloseTo(7 / 18, 15); // (2/3 + 1/2 + 0) / 3
    expect(report.weightedF1).toBeCloseTo(7 / 18, 15); // (2·2/3 + 2·1/2 + 2·0) / 6
  });

  it("averages over classes in the labels or the predictions, leaving out a class absent from both", () => {
    const report = reportOf(
      { classCount: 4 },
      [
        [0.625, 0.125, 0.125, 0.125], // true 0 → 0
        [0.125, 0.125, 0.625, 0.125], // true 0 → 2: class 2 is predicted but never present
        [0.125, 0.625, 0.125, 0.125], // true 1 → 1
        [0.125, 0.625, 0.125, 0.125], // true 1 → 1
      ],
      [0, 0, 1, 1],
    );
    // support [2, 2, 0, 0], predicted [1, 2, 1, 0]; class 3 is neither present nor predicted.
    // precision [1, 1, 0, 0], recall [1/2, 1, 0 (no support), 0], F1 [2/3, 1, 0, 0]
    expect(
      report.perClass.map(({ precision, recall, f1, support, predicted }) => ({
        precision,
        recall,
        f1,
        support,
        predicted,
      })),
    ).toEqual([
      { precision: 1, recall: 1 / 2, f1: 2 / 3, support: 2, predicted: 1 },
      { precision: 1, recall: 1, f1: 1, support: 2, predicted: 2 },
      { precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 },
      { precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 },
    ]);
    // Over classes 0, 1 and 2; with class 3 as well they would be 2/4, 1.5/4 and (5/3)/4.
    expect(report.macroPrecision).toBeCloseTo(2 / 3, 15); // (1 + 1 + 0) / 3
    expect(report.macroRecall).toBeCloseTo(1 / 2, 15); // (1/2 + 1 + 0) / 3
    expect(report.macroF1).toBeCloseTo(5 / 9, 15); // (2/3 + 1 + 0) / 3
    expect(report.weightedF1).toBeCloseTo(5 / 6, 15); // (2·2/3 + 2·1) / 4
    expect(report.accuracy).toBe(3 / 4);
  });

  it("reports a dataset with a single class: accuracy is defined, ROC AUC is not", () => {
    // Every label is 1; p = [0.75, 0.25, 0.875] predicts [1, 0, 1].
    const report = reportOf({ classCount: 2, scoreColumns: 1 }, [[0.75], [0.25], [0.875]], [1, 1, 1]);
    expect(report.accuracy).toBe(2 / 3);
    expect(report.rocAuc).toBeNull();
    expect(report.confusionMatrix).toEqual([
      [0, 0],
      [1, 2],
    ]);
    // Class 0 has no support but is predicted once, so it takes part in the macro average with F1 0;
    // class 1: precision 2/2, recall 2/3, F1 = 2·2 / (3 + 2) = 4/5.
    expect(report.perClass[1]!.f1).toBe(4 / 5);
    expect(report.macroF1).toBe(2 / 5);
  });

  it("counts rows with NaN scores as wrong, with the largest log loss and no part in ROC AUC", () => {
    const report = reportOf(
      { classCount: 2, scoreColumns: 1 },
      [[0.875], [NaN], [0.25], [0.625], [0.5]],
      [1, 1, 0, 0, 1],
    );
    expect(report.rows).toBe(5);
    expect(report.invalidRows).toBe(1);
    // Predictions: 1, invalid, 0, 1, 0 (0.5 is a tie); correct: rows 1 and 3.
    expect(report.accuracy).toBe(2 / 5);
    expect(report.confusionMatrix).toEqual([
      [1, 1],
      [1, 1],
    ]);
    // Class 1's support is 3: two rows in the matrix and the invalid one, which lowers its recall.
    // Class 0: precision 1/2, recall 1/2, F1 2/4; class 1: precision 1/2, recall 1/3, F1 2/5.
    expect(
      report.perClass.map(({ precision, recall, f1, support, predicted, invalid }) => [
        precision,
        recall,
        f1,
        support,
        predicted,
        invalid,
      ]),
    ).toEqual([
      [1 / 2, 1 / 2, 1 / 2, 2, 2, 0],
      [1 / 2, 1 / 3, 2 / 5, 3, 2, 1],
    ]);
    // p(true) = [0.875, invalid, 1 − 0.25, 1 − 0.625, 0.5]:
    // (0.13353139262452263 + 34.538776394910684 + 0.2876820724517809 + 0.9808292530117262 + 0.6931471805599453) / 5
    expect(report.logLoss).toBeCloseTo(7.3267932587117315, 14);
    // Valid positives {0.875, 0.5} against negatives {0.25, 0.625}: 0.875 beats both, 0.5 beats 0.25 → 3/4.
    expect(report.rocAuc).toBe(3 / 4);

    // A NaN anywhere in a row of several columns invalidates the row.
    const multi = reportOf(
      { classCount: 3 },
      [
        [0.5, NaN, 0.25],
        [1, 2, 3],
      ],
      [0, 2],
    );
    expect(multi.invalidRows).toBe(1);
    expect(multi.perClass[0]!.invalid).toBe(1);
    expect(multi.accuracy).toBe(1 / 2);
  });

  it("clips log loss like scikit-learn", () => {
    // p(true) = 0 → clipped to 1e-15 → 15·ln 10 = 34.538776394910684
    // p(true) = 1 → clipped to the double nearest 1 − 1e-15 → −ln(1 − 9.992e-16) = 9.992007221626415e-16
    const report = reportOf(
      { classCount: 2 },
      [
        [1, 0],
        [0, 1],
      ],
      [1, 1],
    );
    expect(report.logLoss).toBeCloseTo((MAX_LOG_LOSS + 9.992007221626415e-16) / 2, 14);
    expect(reportOf({ classCount: 2 }, [[1, 0]], [0]).logLoss).toBeCloseTo(9.992007221626415e-16, 25);
  });

  it("computes ROC AUC with tied scores as the Mann–Whitney statistic", () => {
    // Positives {0.35, 0.8, 0.4}, negatives {0.1, 0.4}; pairs a positive wins (a tie is a half):
    // 0.35: beats 0.1, loses to 0.4 → 1;  0.8: beats both → 2;  0.4: beats 0.1, ties 0.4 → 1.5
    // AUC = 4.5 / (3·2) = 0.75
    const scores = [[0.1], [0.4], [0.35], [0.8], [0.4]];
    expect(reportOf({ classCount: 2, scoreColumns: 1 }, scores, [0, 0, 1, 1, 1]).rocAuc).toBe(0.75);

    // All scores equal: every pair is a tie → 1/2.
    expect(reportOf({ classCount: 2, scoreColumns: 1 }, [[0.5], [0.5], [0.5]], [0, 1, 1]).rocAuc).toBe(0.5);
  });

  it("ranks two-column logits by the class 1 probability, not by the raw class 1 score", () => {
    // p1 = σ(s1 − s0): margins [1, 0.5, 0.5, −1], so rows 2 and 3 tie exactly.
    // Positives margins {1, 0.5}, negatives {0.5, −1}: 1 beats both, 0.5 ties 0.5 and beats −1 → 3.5/4.
    // (By raw column 1, positives {1, 3.5} would beat negatives {−1.5, 0} outright: AUC 1.)
    const rows = [
      [0, 1],
      [3, 3.5],
      [-2, -1.5],
      [1, 0],
    ];
    expect(reportOf({ classCount: 2, scoreMode: "softmax" }, rows, [1, 1, 0, 0]).rocAuc).toBe(0.875);
  });

  it("reads a single column as a sigmoid logit", () => {
    const report = reportOf({ classCount: 2, scoreColumns: 1, scoreMode: "sigmoid" }, [[2], [-2], [0]], [1, 1, 0]);
    // σ(2) = 0.881 → 1 (right), σ(−2) = 0.119 → 0 (wrong), σ(0) = 0.5 → tie → 0 (right)
    expect(report.accuracy).toBe(2 / 3);
    // (−ln σ(2) − ln σ(−2) − ln 0.5) / 3 = (0.12692801104297263 + 2.1269280110429727 + 0.6931471805599453) / 3
    expect(report.logLoss).toBeCloseTo(0.9823344008819636, 15);
    // Positives {σ(2), σ(−2)} against the negative 0.5: one win of two.
    expect(report.rocAuc).toBe(0.5);

    // A confident mistake keeps its digits: −ln σ(−30) = ln(1 + e^30) = 30.000000000000092, where
    // −ln(1 − σ(30)) would give 30.00102 (σ(30) rounds to within 1e-16 of 1).
    const confident = reportOf({ classCount: 2, scoreColumns: 1, scoreMode: "sigmoid" }, [[30]], [0]);
    expect(confident.logLoss).toBeCloseTo(30.000000000000092, 12);

    // In "auto" mode values outside [0, 1] are logits too: σ(3) → 1, σ(−1.5) → 0.
    expect(reportOf({ classCount: 2, scoreColumns: 1 }, [[3], [-1.5]], [1, 0]).accuracy).toBe(1);
  });

  it("matches a pairwise count of ROC AUC over thousands of rows with many ties", () => {
    const random = mulberry32(17);
    const rowCount = 5000;
    // Scores on a grid of 1/64 give plenty of ties; positives lean higher.
    const labels = Array.from({ length: rowCount }, () => (random() < 0.4 ? 1 : 0));
    const scores = Float32Array.from(labels, (label) => Math.min(64, Math.floor(random() * 48) + 16 * label) / 64);

    // The reference: every positive–negative pair, a tie counting one half.
    const positives = Array.from(scores).filter((_, row) => labels[row] === 1);
    const negatives = Array.from(scores).filter((_, row) => labels[row] === 0);
    let wins = 0;
    for (const positive of positives) {
      for (const negative of negatives) wins += positive > negative ? 1 : positive === negative ? 0.5 : 0;
    }

    const accumulator = new ClassificationAccumulator({ classCount: 2, scoreColumns: 1 });
    for (let start = 0; start < rowCount; start += 37) {
      const end = Math.min(start + 37, rowCount);
      accumulator.add(scores.subarray(start, end), labels.slice(start, end));
    }
    expect(classificationReport(accumulator).rocAuc).toBe(wins / (positives.length * negatives.length));
  });

  it("takes the names of the classes, or numbers them", () => {
    const accumulator = accumulate({ classCount: 2 }, [[0.75, 0.25]], [0]);
    expect(classificationReport(accumulator).perClass.map((metrics) => metrics.name)).toEqual(["0", "1"]);
    expect(classificationReport(accumulator, ["ham", "spam"]).perClass.map((metrics) => metrics.name)).toEqual([
      "ham",
      "spam",
    ]);
    expect(() => classificationReport(accumulator, ["ham"])).toThrow(RangeError);
  });

  it("refuses to report on no rows", () => {
    expect(() => classificationReport(new ClassificationAccumulator({ classCount: 3 }))).toThrow("no rows");
  });
});

/** Rows of mixed kinds (probabilities, logits, NaN) with labels, from a seeded generator. */
function mixedDataset(rowCount: number, classCount: number, columns: number, seed: number) {
  const random = mulberry32(seed);
  const scores = new Float32Array(rowCount * columns);
  const labels = new Int32Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const label = Math.floor(random() * classCount);
    labels[row] = label;
    const kind = random();
    let sum = 0;
    for (let column = 0; column < columns; column++) {
      // Quantised, so equal scores (and ties in ROC AUC) occur; the true class's score leans higher.
      const favoured = columns === 1 ? label === 1 : column === label;
      const value = Math.round(random() * 8) / 4 + (favoured ? 1 : 0);
      scores[row * columns + column] = value;
      sum += value;
    }
    if (kind < 0.3) {
      for (let column = 0; column < columns; column++) scores[row * columns + column]! /= sum || 1;
    } else if (kind < 0.33) {
      scores[row * columns + Math.floor(random() * columns)] = NaN;
    }
  }
  return { scores, labels };
}

/** Splits 0..rowCount into `chunks` uneven, non-empty ranges. */
function chunkBounds(rowCount: number, chunks: number): number[] {
  const bounds = [0];
  for (let chunk = 1; chunk < chunks; chunk++) bounds.push(Math.floor((rowCount * chunk * chunk) / (chunks * chunks)));
  bounds.push(rowCount);
  return bounds;
}

describe("ClassificationAccumulator", () => {
  for (const [classCount, scoreColumns, rowCount] of [
    [3, 3, 1000],
    [2, 2, 3000],
    [2, 1, 3000],
  ] as const) {
    it(`gives the same report for 1, 3 or 7 chunks, resumed from JSON or not (${classCount} classes, ${scoreColumns} columns)`, () => {
      const { scores, labels } = mixedDataset(rowCount, classCount, scoreColumns, 5 + scoreColumns);
      const reports = [1, 3, 7].flatMap((chunks) => {
        const bounds = chunkBounds(rowCount, chunks);
        let straight = new ClassificationAccumulator({ classCount, scoreColumns });
        let resumed = new ClassificationAccumulator({ classCount, scoreColumns });
        for (let chunk = 0; chunk < chunks; chunk++) {
          const [start, end] = [bounds[chunk]!, bounds[chunk + 1]!];
          const chunkScores = scores.subarray(start * scoreColumns, end * scoreColumns);
          straight.add(chunkScores, labels.subarray(start, end));
          resumed.add(chunkScores, labels.subarray(start, end));
          // As a job killed after this chunk would: only the stored JSON survives.
          resumed = ClassificationAccumulator.fromJSON(JSON.parse(JSON.stringify(resumed)));
        }
        expect(resumed.chunks).toBe(chunks);
        straight = ClassificationAccumulator.fromJSON(straight.toJSON());
        return [classificationReport(straight), classificationReport(resumed)];
      });
      const [first, ...rest] = reports;
      expect(first!.rows).toBe(rowCount);
      expect(first!.invalidRows).toBeGreaterThan(0);
      if (classCount === 2) expect(first!.rocAuc).toBeGreaterThan(0.5);
      for (const report of rest) expect(report).toEqual(first);
    });
  }

  it("merges to the counts of one accumulator over all the rows", () => {
    const { scores, labels } = mixedDataset(2000, 2, 2, 3);
    const whole = accumulateRange(0, 2000);
    const merged = accumulateRange(0, 1234);
    merged.merge(accumulateRange(1234, 2000));
    const [expected, actual] = [classificationReport(whole), classificationReport(merged)];
    // The log loss sum is added up in another order, so it may differ in the last bits.
    expect(actual.logLoss).toBeCloseTo(expected.logLoss, 12);
    expect({ ...actual, logLoss: 0 }).toEqual({ ...expected, logLoss: 0 });
    expect(merged.chunks).toBe(2);

    function accumulateRange(start: number, end: number) {
      const accumulator = new ClassificationAccumulator({ classCount: 2 });
      accumulator.add(scores.subarray(start * 2, end * 2), labels.subarray(start, end));
      return accumulator;
    }
  });

  it("reads only the first `rows` rows of reused buffers", () => {
    const accumulator = new ClassificationAccumulator({ classCount: 2 });
    accumulator.add(
      f32([
        [0.75, 0.25],
        [0.25, 0.75],
        [NaN, 0],
      ]),
      [0, 1, 1],
      2,
    );
    expect(accumulator.rows).toBe(2);
    expect(classificationReport(accumulator).accuracy).toBe(1);
  });

  it("rejects a bad chunk whole, leaving the counts as they were", () => {
    const accumulator = accumulate({ classCount: 3 }, [[0.5, 0.25, 0.25]], [0]);
    const before = accumulator.toJSON();
    for (const badLabel of [3, -1, 1.5, NaN]) {
      expect(() =>
        accumulator.add(
          f32([
            [0.5, 0.25, 0.25],
            [0.5, 0.25, 0.25],
          ]),
          [1, badLabel],
        ),
      ).toThrow(RangeError);
    }
    expect(() => accumulator.add(f32([[0.5, 0.5]]), [0])).toThrow(RangeError);
    expect(() => accumulator.add(f32([[0.5, 0.25, 0.25]]), [0, 1])).toThrow(RangeError);
    expect(() => accumulator.add(f32([[0.5, 0.25, 0.25]]), [0], 2)).toThrow(RangeError);
    expect(accumulator.toJSON()).toEqual(before);
  });

  it("rejects options that do not describe a classifier", () => {
    expect(() => new ClassificationAccumulator({ classCount: 1 })).toThrow(RangeError);
    expect(() => new ClassificationAccumulator({ classCount: 3, scoreColumns: 1 })).toThrow(RangeError);
    expect(() => new ClassificationAccumulator({ classCount: 2, scoreMode: "sigmoid" })).toThrow(RangeError);
    expect(() => new ClassificationAccumulator({ classCount: 2, scoreColumns: 1, scoreMode: "softmax" })).toThrow(
      RangeError,
    );
    expect(() =>
      new ClassificationAccumulator({ classCount: 2 }).merge(new ClassificationAccumulator({ classCount: 3 })),
    ).toThrow(RangeError);
  });

  it("refuses to restore JSON that is not a checkpoint", () => {
    const valid = accumulate(
      { classCount: 2 },
      [
        [0.75, 0.25],
        [0.25, 0.75],
      ],
      [0, 1],
    ).toJSON();
    expect(ClassificationAccumulator.fromJSON(valid).toJSON()).toEqual(valid);
    const broken: unknown[] = [
      null,
      { ...valid, task: "regression" },
      { ...valid, confusionMatrix: [[1, 0]] },
      { ...valid, invalidByClass: [0, -1] },
      { ...valid, roc: null },
      { ...valid, roc: { scores: [0.75, 0.25], positives: [0, 1], negatives: [1, 0] } },
      { ...valid, roc: { scores: [0.25], positives: [1, 0], negatives: [1] } },
    ];
    for (const json of broken) expect(() => ClassificationAccumulator.fromJSON(json)).toThrow();
  });
});
