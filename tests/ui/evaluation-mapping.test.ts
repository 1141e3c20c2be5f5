import { describe, expect, it } from "vitest";
import {
  checkPlan,
  columnList,
  columnRange,
  describeColumns,
  draftOptions,
  featureNames,
  initialDraft,
  inputWidth,
} from "@/components/evaluations/column-mapping";
import type { DatasetColumnInfo } from "@/lib/evaluate/mapping";
import type { Signature } from "@/lib/registry/schemas";

const numeric = (name: string, min = 0, max = 1): DatasetColumnInfo => ({ name, kind: "number", min, max });
const pixels = Array.from({ length: 64 }, (_, index) => `p${index}`);
/** The digits test set with a leading row id: 65 feature columns for a 64-wide input. */
const withId = [numeric("id", 1, 540), ...pixels.map((name) => numeric(name)), numeric("label", 0, 9)];

const digits: Signature = {
  inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
  outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
};

describe("the evaluate form's column mapping", () => {
  it("lists every column but the label as a feature, in the dataset's order", () => {
    expect(featureNames(withId, "label")).toEqual(["id", ...pixels]);
    expect(featureNames(withId, "id")).toEqual([...pixels, "label"]);
  });

  it("takes ranges in the dataset's order whichever end is chosen first", () => {
    const features = featureNames(withId, "label");
    expect(columnRange(features, "p0", "p63")).toEqual(pixels);
    expect(columnRange(features, "p2", "p0")).toEqual(["p0", "p1", "p2"]);
    expect(columnRange(features, "p0", "nope")).toEqual([]);
  });

  it("reads typed lists in the order written, whatever separates the names", () => {
    expect(columnList(" b, a\nc  d,,")).toEqual(["b", "a", "c", "d"]);
    expect(columnList("")).toEqual([]);
  });

  it("says how many values each input takes, or null when rows cannot be fed in batches", () => {
    expect(inputWidth(digits.inputs[0]!)).toBe(64);
    expect(inputWidth({ name: "image", dtype: "float32", shape: ["N", 1, 8, 8] })).toBe(64);
    expect(inputWidth({ name: "fixed", dtype: "float32", shape: [1, 64] })).toBeNull();
  });

  it("starts each input at the next run of columns as wide as it needs", () => {
    const signature: Signature = {
      inputs: [
        { name: "a", dtype: "float32", shape: ["batch", 2] },
        { name: "b", dtype: "float32", shape: ["batch", 3] },
      ],
      outputs: [{ name: "y", dtype: "float32", shape: ["batch", 1] }],
    };
    const draft = initialDraft(signature, ["c1", "c2", "c3", "c4", "c5", "c6"]);
    expect(draft.inputs).toEqual({
      a: { mode: "range", first: "c1", last: "c2" },
      b: { mode: "range", first: "c3", last: "c5" },
    });
    expect(draftOptions(draft, ["c1", "c2", "c3", "c4", "c5", "c6"])).toEqual({
      inputs: { a: ["c1", "c2"], b: ["c3", "c4", "c5"] },
    });
  });

  it("refuses the automatic mapping of an extra column and accepts the range mapped by hand", () => {
    const automatic = checkPlan(digits, withId, "label");
    expect(automatic).toEqual({
      ok: false,
      message:
        "input 'input' [batch, 64] takes 64 values per row but the dataset has 65 feature columns besides the label; map the columns explicitly",
    });
    const features = featureNames(withId, "label");
    const draft = initialDraft(digits, features);
    // The starting point is id … p62: one change (the first column) away from the right mapping.
    expect(draft.inputs.input).toEqual({ mode: "range", first: "id", last: "p62" });
    const byHand = { ...draft, inputs: { input: { mode: "range" as const, first: "p0", last: "p63" } } };
    const manual = checkPlan(digits, withId, "label", draftOptions(byHand, features));
    expect(manual.ok && manual.plan.inputs[0]!.columns).toEqual(pixels);
  });

  it("passes on the planner's message naming the input or the column", () => {
    const features = featureNames(withId, "label");
    const short = draftOptions(
      { inputs: { input: { mode: "range", first: "p0", last: "p62" } }, task: "", output: "" },
      features,
    );
    expect(checkPlan(digits, withId, "label", short)).toEqual({
      ok: false,
      message: "input 'input' takes 64 values per row but 63 columns were mapped to it",
    });
    const listed = draftOptions(
      { inputs: { input: { mode: "list", text: [...pixels.slice(1), "p64"].join(",") } }, task: "", output: "" },
      features,
    );
    expect(checkPlan(digits, withId, "label", listed)).toEqual({
      ok: false,
      message: "column 'p64' (mapped to input 'input') is not in the dataset",
    });
    const regression = draftOptions(
      { inputs: { input: { mode: "range", first: "p0", last: "p63" } }, task: "REGRESSION", output: "output" },
      features,
    );
    expect(regression).toMatchObject({ task: "REGRESSION", output: "output" });
    expect(checkPlan(digits, withId, "label", regression)).toEqual({
      ok: false,
      message: "output 'output' [batch, 10] has 10 values per row; regression needs one",
    });
  });

  it("describes long runs of columns by their ends", () => {
    expect(describeColumns(pixels)).toBe("p0 … p63");
    expect(describeColumns(["a", "b"])).toBe("a, b");
  });
});
