import { describe, expect, it } from "vitest";
import { UNKNOWN_RANK_SHAPE } from "./inspect";
import { formatBytes, requestCost, requestTooLarge } from "./request-cost";

const MiB = 1024 ** 2;
const limits = { maxTensorBytes: 256 * MiB };

describe("requestCost", () => {
  it("counts fixed dimensions as they are and dynamic ones as 1, with each dtype's element size", () => {
    const cost = requestCost({
      inputs: [
        { name: "pixels", dtype: "float32", shape: ["batch", 3, 224, 224] },
        { name: "mask", dtype: "bool", shape: ["?", 10] },
        { name: "ids", dtype: "int64", shape: [-1, 7] },
      ],
      outputs: [
        { name: "logits", dtype: "float16", shape: ["batch", 1000] },
        { name: "anything", dtype: "float64", shape: [...UNKNOWN_RANK_SHAPE] },
      ],
    });
    expect(cost.inputBytes).toBe(3 * 224 * 224 * 4 + 10 + 7 * 8);
    expect(cost.inputElements).toBe(3 * 224 * 224 + 10 + 7);
    expect(cost.outputBytes).toBe(1000 * 2 + 8);
  });

  it("does not wrap around when the product of the dims passes 2^53", () => {
    const cost = requestCost({ inputs: [{ name: "x", dtype: "float64", shape: [2 ** 40, 2 ** 40] }], outputs: [] });
    expect(cost.inputBytes).toBe(2 ** 83);
    const huge = requestCost({
      inputs: [{ name: "x", dtype: "float64", shape: Array(40).fill(2 ** 40) }],
      outputs: [],
    });
    expect(huge.inputBytes).toBe(Infinity);
    expect(
      requestTooLarge(
        { inputs: [{ name: "x", dtype: "float64", shape: Array(40).fill(2 ** 40) }], outputs: [] },
        limits,
      ),
    ).toMatch(/needs more bytes than can be counted of input/);
  });
});

describe("requestTooLarge", () => {
  it("refuses a fixed input over the limit, naming it, its shape and the setting", () => {
    const signature = {
      inputs: [{ name: "x", dtype: "float32", shape: [32768, 32768] }],
      outputs: [{ name: "y", dtype: "float32", shape: [32768, 32768] }],
    };
    expect(requestTooLarge(signature, limits)).toBe(
      "one request to this model needs 4 GiB of input (input 'x' is float32 [32768, 32768]); " +
        "the limit is 256 MiB (MAX_REQUEST_TENSOR_BYTES)",
    );
  });

  it("refuses outputs over the limit even when the inputs are small", () => {
    const signature = {
      inputs: [{ name: "seed", dtype: "int64", shape: [1] }],
      outputs: [
        { name: "small", dtype: "float32", shape: [1] },
        { name: "noise", dtype: "float64", shape: ["batch", 8192, 8192] },
      ],
    };
    expect(requestTooLarge(signature, limits)).toBe(
      "one request to this model needs 512 MiB of output (output 'noise' is float64 [batch, 8192, 8192]); " +
        "the limit is 256 MiB (MAX_REQUEST_TENSOR_BYTES)",
    );
  });

  it("accepts a model at the limit and one whose only large dimensions are dynamic", () => {
    expect(
      requestTooLarge({ inputs: [{ name: "x", dtype: "uint8", shape: [256, MiB] }], outputs: [] }, limits),
    ).toBeNull();
    const dynamic = { inputs: [{ name: "x", dtype: "float32", shape: ["batch", "height", "width"] }], outputs: [] };
    expect(requestTooLarge(dynamic, limits)).toBeNull();
    expect(
      requestTooLarge({ inputs: [{ name: "x", dtype: "uint8", shape: [256 * MiB + 1] }], outputs: [] }, limits),
    ).toMatch(/needs 256 MiB of input/);
  });

  it("refuses, where the body limit is given, an input no JSON body within it can carry", () => {
    const signature = { inputs: [{ name: "x", dtype: "float32", shape: ["batch", 4096, 4096] }], outputs: [] };
    expect(requestTooLarge(signature, limits)).toBeNull();
    expect(requestTooLarge(signature, { ...limits, maxBodyBytes: 16 * MiB })).toBe(
      "one request to this model needs at least 32 MiB of JSON (input 'x' is float32 [batch, 4096, 4096]); " +
        "the largest request body is 16 MiB (SERVING_MAX_BODY_BYTES)",
    );
    expect(requestTooLarge(signature, { ...limits, maxBodyBytes: 32 * MiB })).toBeNull();
  });
});

describe("formatBytes", () => {
  it("uses binary units a person reads at a glance", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1000)).toBe("1000 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(256 * MiB)).toBe("256 MiB");
    expect(formatBytes(4 * 1024 ** 3)).toBe("4 GiB");
    expect(formatBytes(2 ** 83)).toBe("8.39e+6 EiB");
  });
});
