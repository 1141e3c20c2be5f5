import { describe, expect, it } from "vitest";
import type { TensorSpec } from "@/lib/registry/schemas";
import { labelProblem, predictionPlan } from "./predictions";

const input: TensorSpec = { name: "x", dtype: "float32", shape: ["batch", 4] };
const plan = (...outputs: TensorSpec[]) => predictionPlan({ inputs: [input], outputs });

describe("predictionPlan", () => {
  it("reads a class from per-class scores", () => {
    expect(plan({ name: "logits", dtype: "float32", shape: ["batch", 10] })).toEqual({
      kind: "class",
      labelOutput: null,
      scoreOutput: "logits",
      classCount: 10,
    });
  });

  it("prefers an integer label output (scikit-learn's converters emit one) and keeps the probabilities", () => {
    expect(
      plan({ name: "label", dtype: "int64", shape: [-1] }, { name: "probabilities", dtype: "float32", shape: [-1, 3] }),
    ).toEqual({ kind: "class", labelOutput: "label", scoreOutput: "probabilities", classCount: 3 });
  });

  it("reads a value from a single float column, and nothing without a per-row output", () => {
    expect(plan({ name: "y", dtype: "float64", shape: ["n", 1] })).toEqual({ kind: "value", scoreOutput: "y" });
    expect(plan({ name: "y", dtype: "float32", shape: [1, 10] })).toBeNull();
    expect(plan({ name: "y", dtype: "float32", shape: ["batch", "classes"] })).toBeNull();
    expect(plan({ name: "text", dtype: "string", shape: ["batch"] })).toBeNull();
  });
});

describe("labelProblem", () => {
  const classes = { kind: "class", labelOutput: null, scoreOutput: "s", classCount: 3 } as const;

  it("accepts class indices of the model and any value for a regressor", () => {
    expect(labelProblem(classes, 0)).toBeNull();
    expect(labelProblem(classes, 2)).toBeNull();
    expect(labelProblem({ kind: "value", scoreOutput: "y" }, -3.25)).toBeNull();
  });

  it("names what is wrong with other labels", () => {
    expect(labelProblem(classes, 3)).toBe("3 is not a class of the model: it has 3 classes (0…2)");
    expect(labelProblem(classes, -1)).toBe("-1 is not a class index (a whole number from 0)");
    expect(labelProblem(classes, 1.5)).toBe("1.5 is not a class index (a whole number from 0)");
  });
});
