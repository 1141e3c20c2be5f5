import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/onnx";
import { RegressionAccumulator, regressionReport } from "./index";

// Expected values are worked out by hand in the comments.

function accumulate(predictions: number[], targets: number[]): RegressionAccumulator {
  const accumulator = new RegressionAccumulator();
  accumulator.add(predictions, targets);
  return accumulator;
}

describe("regressionReport", () => {
  it("matches a small example worked by hand, leaving out non-finite predictions", () => {
    // targets [3, −0.5, 2, 7], predictions [2.5, 0, 2, 8], plus two rows with no usable prediction.
    const report = regressionReport(accumulate([2.5, 0, NaN, 2, 8, Infinity], [3, -0.5, 100, 2, 7, -100]));
    // errors [−0.5, 0.5, 0, 1]: MAE = 2/4; MSE = (0.25 + 0.25 + 0 + 1) / 4 = 0.375, RMSE = √0.375
    // mean target 11.5/4 = 2.875; deviations [0.125, −3.375, −0.875, 4.125], squares sum to
    // 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875; R² = 1 − 1.5 / 29.1875
    expect(report).toEqual({
      task: "regression",
      rows: 6,
      invalidRows: 2,
      mae: 0.5,
      rmse: expect.closeTo(0.6123724356957945, 15),
      r2: expect.closeTo(0.9486081370449679, 15),
      meanPrediction: 3.125, // 12.5 / 4
      meanTarget: 2.875,
    });
  });

  it("has no R² when the target does not vary", () => {
    // errors [−1, 0, 2]: MAE 3/3, RMSE √(5/3)
    const report = regressionReport(accumulate([3, 4, 6], [4, 4, 4]));
    expect(report.r2).toBeNull();
    expect(report.mae).toBe(1);
    expect(report.rmse).toBeCloseTo(1.2909944487358056, 15);
    expect(report.meanPrediction).toBeCloseTo(13 / 3, 14); // 3 + 4/3, within one unit in the last place
    expect(report.meanTarget).toBe(4);

    // Also when the constant target arrives in several chunks and through a merge.
    const merged = accumulate([1], [0.1]);
    merged.add([2, 3], [0.1, 0.1]);
    merged.merge(accumulate([4], [0.1]));
    expect(regressionReport(merged).r2).toBeNull();
  });

  it("stays accurate for values around 1e9 over a million rows", () => {
    // targets 1e9 + [−1, 0, 1]/1024 and predictions 1e9 + [−2, 0, 1]/1024, repeated 333,333 times
    // (all exact doubles). Per repetition: errors [−1, 0, 0]/1024, target deviations [−1, 0, 1]/1024.
    // MAE = (1/1024) / 3 = 1/3072; RMSE = √((1/1024²) / 3) = 1 / (1024·√3) = 0.000563818622255494
    // R² = 1 − (1/1024²) / (2/1024²) = 0.5; mean prediction 1e9 − 1/3072.
    // (Σy² − n·ȳ² would be ≈ 1e24 with an error near 1e8, against a true value of 0.64.)
    const repetitions = 333_333;
    const rowCount = repetitions * 3;
    const predictions = new Float64Array(rowCount);
    const targets = new Float64Array(rowCount);
    for (let row = 0; row < rowCount; row++) {
      targets[row] = 1e9 + [-1, 0, 1][row % 3]! / 1024;
      predictions[row] = 1e9 + [-2, 0, 1][row % 3]! / 1024;
    }
    const accumulator = new RegressionAccumulator();
    for (let start = 0; start < rowCount; start += 10_000) {
      const end = Math.min(start + 10_000, rowCount);
      accumulator.add(predictions.subarray(start, end), targets.subarray(start, end));
    }
    const report = regressionReport(accumulator);
    const relativeError = (actual: number | null, expected: number) => Math.abs(actual! / expected - 1);
    expect(report.rows).toBe(999_999);
    expect(relativeError(report.r2, 0.5)).toBeLessThan(1e-9);
    expect(relativeError(report.mae, 1 / 3072)).toBeLessThan(1e-9);
    expect(relativeError(report.rmse, 0.000563818622255494)).toBeLessThan(1e-9);
    expect(relativeError(report.meanTarget, 1e9)).toBeLessThan(1e-15);
    expect(Math.abs(report.meanPrediction! - (1e9 - 1 / 3072))).toBeLessThan(1e-6);
  });

  it("reports nothing but counts when every prediction is invalid, and refuses an empty dataset", () => {
    expect(regressionReport(accumulate([NaN, -Infinity], [1, 2]))).toEqual({
      task: "regression",
      rows: 2,
      invalidRows: 2,
      mae: null,
      rmse: null,
      r2: null,
      meanPrediction: null,
      meanTarget: null,
    });
    expect(() => regressionReport(new RegressionAccumulator())).toThrow("no rows");
  });
});

describe("RegressionAccumulator", () => {
  const random = mulberry32(23);
  const rowCount = 1000;
  const targets = Float64Array.from({ length: rowCount }, () => 50 + 20 * random());
  const predictions = Float64Array.from(targets, (target) => (random() < 0.02 ? NaN : target + 5 * (random() - 0.3)));

  it("gives the same report for 1, 3 or 7 chunks, resumed from JSON or not", () => {
    const reports = [1, 3, 7].flatMap((chunks) => {
      const size = Math.ceil(rowCount / chunks);
      const straight = new RegressionAccumulator();
      let resumed = new RegressionAccumulator();
      for (let start = 0; start < rowCount; start += size) {
        const end = Math.min(start + size, rowCount);
        straight.add(predictions.subarray(start, end), targets.subarray(start, end));
        resumed.add(predictions.subarray(start, end), targets.subarray(start, end));
        resumed = RegressionAccumulator.fromJSON(JSON.parse(JSON.stringify(resumed)));
      }
      expect(resumed.chunks).toBe(chunks);
      return [regressionReport(straight), regressionReport(resumed)];
    });
    const [first, ...rest] = reports;
    expect(first!.invalidRows).toBeGreaterThan(0);
    expect(first!.r2).toBeGreaterThan(0.5);
    for (const report of rest) expect(report).toEqual(first);
  });

  it("merges to what one accumulator over all the rows gives, up to rounding", () => {
    const whole = new RegressionAccumulator();
    whole.add(predictions, targets);
    const merged = new RegressionAccumulator();
    merged.add(predictions.subarray(0, 321), targets.subarray(0, 321));
    const rest = new RegressionAccumulator();
    rest.add(predictions.subarray(321), targets.subarray(321));
    merged.merge(rest);
    const [expected, actual] = [regressionReport(whole), regressionReport(merged)];
    expect(actual.rows).toBe(expected.rows);
    expect(actual.invalidRows).toBe(expected.invalidRows);
    for (const key of ["mae", "rmse", "r2", "meanPrediction", "meanTarget"] as const) {
      expect(actual[key]!, key).toBeCloseTo(expected[key]!, 12);
    }
    expect(merged.chunks).toBe(2);
  });

  it("reads only the first `rows` rows of reused buffers", () => {
    const accumulator = new RegressionAccumulator();
    accumulator.add([1, 2, NaN], [1, 4, 0], 2);
    // errors [0, −2] → MAE 2/2; the NaN in the third row is never read.
    expect(regressionReport(accumulator)).toMatchObject({ rows: 2, invalidRows: 0, mae: 1 });
  });

  it("rejects a chunk with a non-finite target or mismatched lengths, leaving the sums as they were", () => {
    const accumulator = accumulate([1, 2], [1, 3]);
    const before = accumulator.toJSON();
    expect(() => accumulator.add([1, 2], [1, NaN])).toThrow(RangeError);
    expect(() => accumulator.add([1, 2], [1, Infinity])).toThrow(RangeError);
    expect(() => accumulator.add([1, 2, 3], [1, 2])).toThrow(RangeError);
    expect(() => accumulator.add([1], [1, 2], 2)).toThrow(RangeError);
    expect(accumulator.toJSON()).toEqual(before);
  });

  it("refuses to restore JSON that is not a checkpoint", () => {
    const valid = accumulate([1, 2], [1, 3]).toJSON();
    expect(RegressionAccumulator.fromJSON(valid).toJSON()).toEqual(valid);
    const broken: unknown[] = [
      undefined,
      { ...valid, task: "classification" },
      { ...valid, squaredErrorSum: -1 },
      { ...valid, targets: { ...valid.targets, count: 3 } },
    ];
    for (const json of broken) expect(() => RegressionAccumulator.fromJSON(json)).toThrow();
  });
});
