import { describe, expect, it } from "vitest";
import type { TensorSpec } from "@/lib/registry/schemas";
import { InvalidInput } from "../tensors";
import { parseTfRequest } from "./tfserving";

const specs: TensorSpec[] = [{ name: "x", dtype: "float32", shape: ["batch", 2] }];

/** A list nested `depth` deep, built without recursion. */
function deepList(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe("parseTfRequest", () => {
  it("refuses a signature_name that is not a string without turning it into text", () => {
    const parse = () => parseTfRequest({ signature_name: deepList(100_000), instances: [[1, 2]] }, specs);
    expect(parse).toThrow(InvalidInput);
    expect(parse).toThrow("'signature_name' must be a string");
  });

  it("names an unknown signature", () => {
    expect(() => parseTfRequest({ signature_name: "predict", instances: [[1, 2]] }, specs)).toThrow(
      "unknown signature_name 'predict'; the model has 'serving_default'",
    );
  });
});
