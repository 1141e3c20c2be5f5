import { Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  InvalidInput,
  checkInputs,
  flattenNested,
  fromHalfBits,
  SampleTooLarge,
  sampleTensor,
  tensorJson,
  toHalfBits,
  toTensorData,
  type HostTensor,
} from "./tensors";

describe("half precision", () => {
  it("encodes like IEEE 754 binary16, rounding to nearest even", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66],
    ];
    for (const [value, bits] of cases) expect([value, toHalfBits(value)]).toEqual([value, bits]);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it("round-trips every finite half value", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalfBits(bits);
      if (Number.isNaN(value)) continue;
      expect(toHalfBits(value)).toBe(bits);
    }
  });

  it("agrees with onnxruntime's float16 tensors", () => {
    const data = Uint16Array.from([1.5, -3.25, 1000].map(toHalfBits));
    const tensor = new Tensor("float16", data, [3]);
    expect(Array.from(tensor.data as Uint16Array, fromHalfBits)).toEqual([1.5, -3.25, 1000]);
  });
});

describe("flattenNested", () => {
  it("returns values and shape of flat and nested lists", () => {
    expect(flattenNested([1, 2, 3], "x")).toEqual({ values: [1, 2, 3], dims: [3] });
    expect(
      flattenNested(
        [
          [[1], [2]],
          [[3], [4]],
        ],
        "x",
      ),
    ).toEqual({ values: [1, 2, 3, 4], dims: [2, 2, 1] });
    expect(flattenNested(7, "x")).toEqual({ values: [7], dims: [] });
    expect(flattenNested([[], []], "x")).toEqual({ values: [], dims: [2, 0] });
  });

  it("names where a ragged list goes wrong", () => {
    expect(() => flattenNested([[1, 2], [3]], "data")).toThrow(/data\[1\] has 1 elements where 2 were expected/);
    expect(() =>
      flattenNested(
        [
          [1, 2],
          [3, [4]],
        ],
        "data",
      ),
    ).toThrow(/data\[1\]\[1\] is nested deeper/);
    expect(() => flattenNested([1, [2]], "data")).toThrow(/data\[1\] is a list among values/);
  });

  it("refuses nesting deeper than any tensor, without walking it", () => {
    let deep: unknown = 0;
    for (let depth = 0; depth < 100_000; depth++) deep = [deep];
    expect(() => flattenNested(deep, "data")).toThrow(
      "data is nested more than 32 lists deep; tensors have at most 32 dimensions",
    );
    let deepest32: unknown = 0;
    for (let depth = 0; depth < 32; depth++) deepest32 = [deepest32];
    expect(flattenNested(deepest32, "data").dims).toHaveLength(32);
  });
});

describe("toTensorData", () => {
  it("builds typed arrays and checks every element", () => {
    expect(toTensorData("float32", [1, 2.5, "NaN"], "x")).toEqual(Float32Array.from([1, 2.5, NaN]));
    expect(toTensorData("int64", [1, -2], "x")).toEqual(BigInt64Array.from([1n, -2n]));
    expect(toTensorData("bool", [true, false], "x")).toEqual(Uint8Array.from([1, 0]));
    expect(toTensorData("string", ["a", { b64: "aGk=" }], "x")).toEqual(["a", "hi"]);
    expect(() => toTensorData("uint8", [256], "input 'x'")).toThrow(
      /input 'x': element 0 is 256, expected an integer in uint8's range 0..255/,
    );
    expect(() => toTensorData("int32", [1.5], "x")).toThrow(InvalidInput);
    expect(() => toTensorData("bool", [1], "x")).toThrow(/expected true or false/);
    expect(() => toTensorData("float64", [null], "x")).toThrow(/element 0 is null, expected a number/);
  });

  it("refuses numbers beyond the float type's range and shows no value whole", () => {
    expect(toTensorData("float32", [3.4e38, -3.4e38, "Infinity"], "x")).toEqual(
      Float32Array.from([3.4e38, -3.4e38, Infinity]),
    );
    expect(() => toTensorData("float32", [1e39], "x")).toThrow(
      /element 0 is 1e\+39, expected a number within float32's range/,
    );
    expect(() => toTensorData("float64", [Infinity], "x")).toThrow(/element 0 is Infinity/);
    expect(() => toTensorData("float16", [70000], "x")).toThrow(/within float16's range \(±65504\)/);
    let deep: unknown = 0;
    for (let depth = 0; depth < 100_000; depth++) deep = { a: deep };
    expect(() => toTensorData("float32", [deep], "x")).toThrow("x: element 0 is an object, expected a number");
    expect(() => toTensorData("float32", ["y".repeat(1_000_000)], "x")).toThrow(
      `x: element 0 is "${"y".repeat(40)}…", expected a number`,
    );
  });

  it("writes tensors back as the JSON text JSON.stringify gives for their values", () => {
    const json = (type: HostTensor["type"], data: HostTensor["data"], dims: number[], offset?: number) =>
      tensorJson({ type, dims: [data.length], data }, dims, offset);
    expect(json("float32", Float32Array.from([1.5, NaN, -Infinity, -0, 0.1]), [5])).toBe(
      JSON.stringify([1.5, null, null, 0, Math.fround(0.1)]),
    );
    expect(json("bool", Uint8Array.from([1, 0]), [2])).toBe("[true,false]");
    expect(json("float16", Uint16Array.from([0x3c00, 0x7c00]), [2])).toBe("[1,null]");
    expect(json("int64", BigInt64Array.from([-(2n ** 40n), 7n]), [2])).toBe(JSON.stringify([-(2 ** 40), 7]));
    expect(json("string", ['a "quoted" word', "é"], [2])).toBe(JSON.stringify(['a "quoted" word', "é"]));
    const six = Int32Array.from([1, 2, 3, 4, 5, 6]);
    expect(json("int32", six, [2, 3])).toBe("[[1,2,3],[4,5,6]]");
    expect(json("int32", six, [3], 3)).toBe("[4,5,6]");
    expect(json("int32", six, [], 5)).toBe("6");
    expect(json("int32", six, [2, 0])).toBe("[[],[]]");
  });
});

describe("checkInputs", () => {
  const specs = [
    { name: "a", dtype: "float32", shape: ["batch", 2] },
    { name: "b", dtype: "int64", shape: ["batch"] },
  ];
  const tensor = (type: HostTensor["type"], dims: number[]): HostTensor => ({
    type,
    dims,
    data: toTensorData(type, new Array(dims.reduce((a, b) => a * b, 1)).fill(0), "t"),
  });
  const describeType = (dtype: string) => dtype.toUpperCase();

  it("accepts matching tensors in the signature's order", () => {
    const provided = new Map([
      ["b", tensor("int64", [3])],
      ["a", tensor("float32", [3, 2])],
    ]);
    expect(checkInputs(specs, provided, describeType).map((input) => input.type)).toEqual(["float32", "int64"]);
  });

  it("says which input is wrong and how", () => {
    const check = (entries: [string, HostTensor][]) => () => checkInputs(specs, new Map(entries), describeType);
    expect(check([["a", tensor("float32", [3, 2])]])).toThrow(
      /input 'b' is missing; the model expects INT64 \[batch\]/,
    );
    expect(
      check([
        ["a", tensor("float32", [3, 3])],
        ["b", tensor("int64", [3])],
      ]),
    ).toThrow(/input 'a' has shape \[3, 3\] but the model expects \[batch, 2\]/);
    expect(
      check([
        ["a", tensor("float32", [3, 2])],
        ["b", tensor("int64", [4])],
      ]),
    ).toThrow(/dimension 'batch' is 3 in input 'a' but 4 in input 'b'/);
    expect(
      check([
        ["a", tensor("float64", [3, 2])],
        ["b", tensor("int64", [3])],
      ]),
    ).toThrow(/input 'a' has type FLOAT64 but the model expects FLOAT32/);
  });

  it("makes zero-filled warm-up samples with dynamic dimensions set to 1", () => {
    expect(sampleTensor({ name: "x", dtype: "float32", shape: ["batch", 3] }, 1, 12)).toEqual({
      type: "float32",
      dims: [1, 3],
      data: new Float32Array(3),
    });
    expect(sampleTensor({ name: "ids", dtype: "int64", shape: [2] }, 1, 16).data).toEqual(new BigInt64Array(2));
    expect(sampleTensor({ name: "flags", dtype: "bool", shape: ["n", 4] }, 2, 1024).data).toEqual(new Uint8Array(8));
    expect(sampleTensor({ name: "words", dtype: "string", shape: [2] }, 1, 1024).data).toEqual(["", ""]);
  });

  it("refuses a warm-up sample over the limit before allocating it", () => {
    const huge = { name: "x", dtype: "float32", shape: [32768, 32768] };
    const heapBefore = process.memoryUsage().heapUsed;
    expect(() => sampleTensor(huge, 1, 256 * 1024 ** 2)).toThrow(
      new SampleTooLarge("a sample of input 'x' (float32 [32768, 32768]) needs 4 GiB; the limit is 256 MiB"),
    );
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 ** 2);
    // Shapes whose element count is past what an array can hold are refused whatever the limit.
    expect(() => sampleTensor({ name: "x", dtype: "uint8", shape: [2 ** 40, 2 ** 40] }, 1, Infinity)).toThrow(
      SampleTooLarge,
    );
    expect(() => sampleTensor({ name: "x", dtype: "float32", shape: ["batch", 1024] }, 32, 64 * 1024)).toThrow(
      "a sample of input 'x' (float32 [32, 1024]) needs 128 KiB; the limit is 64 KiB",
    );
  });
});
