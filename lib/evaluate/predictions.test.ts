import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/onnx";
import type { EvaluationPlan } from "./mapping";
import { formatScore, predictionLines, predictionsHeader } from "./predictions";

/** What the predictions file always held: the value to 7 significant digits, printed as JavaScript prints it. */
const reference = (value: number) => (Number.isFinite(value) ? String(Number(value.toPrecision(7))) : "NaN");

function expectSameAsReference(values: Iterable<number>) {
  const mismatches: string[] = [];
  for (const value of values) {
    const text = formatScore(value);
    if (text !== reference(value)) mismatches.push(`${value}: ${text} instead of ${reference(value)}`);
    if (mismatches.length >= 5) break;
  }
  expect(mismatches).toEqual([]);
}

describe("formatScore", () => {
  it("prints exactly what toPrecision(7) then Number gives, for special and edge values", () => {
    expectSameAsReference([
      0,
      -0,
      1,
      -1,
      0.5,
      0.1,
      0.2,
      0.3,
      1 / 3,
      2 / 3,
      123.456,
      1e-6,
      1e-7,
      9.999999e-7,
      1.0000005,
      0.12345675,
      0.123456749999,
      0.99999995,
      0.999999949,
      9999999.5,
      1234567,
      12345678,
      1e21,
      1e-300,
      5e-324,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      0.09999999999999999,
      0.30000000000000004,
    ]);
    expect(formatScore(NaN)).toBe("NaN");
    expect(formatScore(Infinity)).toBe("NaN");
    expect(formatScore(-Infinity)).toBe("NaN");
  });

  it("agrees with the reference over every power of ten and the values next to them", () => {
    const values: number[] = [];
    for (let exponent = -320; exponent <= 25; exponent++) {
      const power = Number(`1e${exponent}`);
      values.push(power, -power, power * (1 + Number.EPSILON), power * (1 - Number.EPSILON / 2), power * 0.9999999);
    }
    expectSameAsReference(values);
  });

  it("agrees with the reference over a million random doubles, float32 values and softmax outputs", () => {
    const random = mulberry32(20261123);
    const values = new Float64Array(1_000_000);
    for (let index = 0; index < values.length; index++) {
      const kind = index % 4;
      // Every magnitude a double has, down to the subnormals, and the common ones more often.
      const exponent = index % 8 === 0 ? Math.floor(random() * 345) - 325 : Math.floor(random() * 40) - 30;
      const value = random() * 10 ** exponent * (random() < 0.2 ? -1 : 1);
      if (kind === 0) values[index] = value;
      else if (kind === 1) values[index] = Math.fround(value);
      // Ties at the 8th digit, the case the fast path must hand to toPrecision.
      else if (kind === 2) values[index] = (Math.floor(random() * 9e7) + 1e7 + 0.5) / 10 ** (8 + (index % 9));
      else values[index] = 1 / (1 + Math.exp(-(random() * 60 - 30)));
    }
    expectSameAsReference(values);
  });
});

const classifier: EvaluationPlan = {
  inputs: [],
  output: "output",
  labelColumn: "label",
  task: "CLASSIFICATION",
  classCount: 3,
  scoreColumns: 3,
};

describe("predictionLines", () => {
  it("writes the row number, the predicted class and the softmax probabilities of a classifier", () => {
    const logits = Float32Array.from([0, 0, 0, 2, 1, 0]);
    expect(predictionsHeader(classifier)).toBe("row,predicted,p0,p1,p2\n");
    expect(predictionLines(classifier, logits, 2, 10).toString()).toBe(
      "11,0,0.3333333,0.3333333,0.3333333\n12,0,0.665241,0.2447285,0.09003057\n",
    );
  });

  it("leaves the prediction empty and prints NaN when a row's scores are not finite", () => {
    expect(predictionLines(classifier, Float32Array.from([NaN, 0, 0]), 1, 0).toString()).toBe("1,,NaN,NaN,NaN\n");
  });

  it("writes one value per row for regression", () => {
    const regression: EvaluationPlan = { ...classifier, task: "REGRESSION", classCount: null, scoreColumns: 1 };
    expect(predictionsHeader(regression)).toBe("row,prediction\n");
    expect(predictionLines(regression, Float32Array.from([1.5, -2.25e-9]), 2, 0).toString()).toBe(
      "1,1.5\n2,-2.25e-9\n",
    );
  });
});
