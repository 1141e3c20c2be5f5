import { describe, expect, it } from "vitest";
import type { Signature } from "@/lib/registry/schemas";
import { planEvaluation, type DatasetColumnInfo } from "./mapping";

const numeric = (name: string, min = 0, max = 1): DatasetColumnInfo => ({ name, kind: "number", min, max });
const pixels = Array.from({ length: 64 }, (_, index) => numeric(`p${index}`));
const digitsColumns = [...pixels, numeric("label", 0, 9)];

const digits: Signature = {
  inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
  outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
};

describe("planEvaluation", () => {
  it("feeds a single input from the feature columns in order and detects classification", () => {
    const plan = planEvaluation(digits, digitsColumns, "label");
    expect(plan).toEqual({
      inputs: [{ name: "input", dtype: "float32", rowDims: [64], columns: pixels.map((column) => column.name) }],
      output: "output",
      labelColumn: "label",
      task: "CLASSIFICATION",
      classCount: 10,
      scoreColumns: 10,
    });
  });

  it("fills image-like inputs row-major from the same columns", () => {
    const image: Signature = { ...digits, inputs: [{ name: "image", dtype: "float32", shape: ["N", 1, 8, 8] }] };
    expect(planEvaluation(image, digitsColumns, "label").inputs[0]).toMatchObject({ rowDims: [1, 8, 8] });
  });

  it("maps several inputs by name, including array columns name[i]", () => {
    const signature: Signature = {
      inputs: [
        { name: "age", dtype: "float32", shape: ["batch", 1] },
        { name: "vec", dtype: "float64", shape: ["batch", 2] },
      ],
      outputs: [{ name: "y", dtype: "float32", shape: ["batch", 1] }],
    };
    const columns = [numeric("vec[0]"), numeric("age", 0, 99), numeric("vec[1]"), numeric("y", -5, 50)];
    const plan = planEvaluation(signature, columns, "y");
    expect(plan.inputs.map((input) => input.columns)).toEqual([["age"], ["vec[0]", "vec[1]"]]);
    expect(plan.task).toBe("REGRESSION");
    expect(plan.classCount).toBeNull();
  });

  it("treats a single output column with 0/1 labels as binary classification", () => {
    const signature: Signature = { ...digits, outputs: [{ name: "p", dtype: "float32", shape: ["batch", 1] }] };
    const plan = planEvaluation(signature, [...pixels, numeric("target", 0, 1)], "target");
    expect(plan).toMatchObject({ task: "CLASSIFICATION", classCount: 2, scoreColumns: 1 });
  });

  it("takes an explicit mapping, label and task", () => {
    const columns = [numeric("id", 1, 540), ...digitsColumns.slice(0, 64), numeric("digit", 0, 9)];
    const plan = planEvaluation(digits, columns, null, {
      labelColumn: "digit",
      inputs: { input: pixels.map((column) => column.name) },
    });
    expect(plan.labelColumn).toBe("digit");
    expect(plan.inputs[0]!.columns).toHaveLength(64);
  });

  it("explains every refusal", () => {
    const refusals: [Parameters<typeof planEvaluation>, RegExp][] = [
      [[digits, digitsColumns, null], /no label column; choose which column/],
      [[digits, digitsColumns, "truth"], /label column 'truth' is not in the dataset/],
      [
        [digits, [...pixels.slice(1), numeric("label", 0, 9)], "label"],
        /input 'input' \[batch, 64\] takes 64 values per row but the dataset has 63 feature columns besides the label/,
      ],
      [
        [digits, [...pixels, numeric("label", 0, 12)], "label"],
        /labels in 'label' range from 0 to 12, but the model has 10 classes \(0…9\)/,
      ],
      [
        [digits, [...pixels, { name: "label", kind: "string" }], "label"],
        /label column 'label' holds text; labels must be class indices 0…9/,
      ],
      [
        [digits, [{ name: "name", kind: "string" }, ...pixels.slice(1), numeric("label", 0, 9)], "label"],
        /column 'name' holds text; only numeric columns can feed input 'input'/,
      ],
      [[digits, digitsColumns, "label", { inputs: { pixels: ["p0"] } }], /the model has no input 'pixels'/],
      [
        [digits, digitsColumns, "label", { inputs: { input: ["p0", "p1"] } }],
        /input 'input' takes 64 values per row but 2 columns were mapped to it/,
      ],
      [
        [digits, digitsColumns, "label", { task: "REGRESSION" }],
        /output 'output' \[batch, 10\] has 10 values per row; regression needs one/,
      ],
      [
        [
          { ...digits, inputs: [{ name: "input", dtype: "float32", shape: ["batch", "features"] }] },
          digitsColumns,
          "label",
        ],
        /dynamic dimension 'features' besides the batch/,
      ],
      [
        [{ ...digits, inputs: [{ name: "input", dtype: "string", shape: ["batch", 64] }] }, digitsColumns, "label"],
        /input 'input' has type string/,
      ],
    ];
    for (const [args, message] of refusals) expect(() => planEvaluation(...args)).toThrow(message);
  });
});
