/**
 * ONNX's own backend node tests (made by ONNX's generator, read from TESTDATA_DIR): every model
 * passes our decoder, inspection and graph check, and onnxruntime, in a confined session, turns
 * test_data_set_0's inputs into its expected outputs. Models whose tensors onnxruntime-node cannot
 * carry (float8, float4, 2-bit integers) are listed with the reason and still checked by the decoder.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Tensor, type InferenceSession } from "onnxruntime-node";
import { expect, it } from "vitest";
import {
  checkGraph,
  DataType,
  decodeModel,
  decodeTensor,
  dtypeName,
  inspectModelProto,
  int64ToNumber,
  type TensorProto,
} from "@/lib/onnx";
import { describeConformance } from "@/tests/support/conformance";
import { createConfinedSession } from "@/worker/lib/confined-session";

/** onnxruntime-node's tensor type for an ONNX element type, with the typed array that holds it. */
const CARRIED: Partial<Record<DataType, { type: Tensor.Type; array: TypedArrayOf }>> = {
  [DataType.FLOAT]: { type: "float32", array: Float32Array },
  [DataType.DOUBLE]: { type: "float64", array: Float64Array },
  [DataType.FLOAT16]: { type: "float16", array: Uint16Array }, // the bits, as ONNX stores them
  [DataType.UINT8]: { type: "uint8", array: Uint8Array },
  [DataType.INT8]: { type: "int8", array: Int8Array },
  [DataType.UINT16]: { type: "uint16", array: Uint16Array },
  [DataType.INT16]: { type: "int16", array: Int16Array },
  [DataType.INT32]: { type: "int32", array: Int32Array },
  [DataType.UINT32]: { type: "uint32", array: Uint32Array },
  [DataType.INT64]: { type: "int64", array: BigInt64Array },
  [DataType.UINT64]: { type: "uint64", array: BigUint64Array },
  [DataType.BOOL]: { type: "bool", array: Uint8Array },
};

type TypedArrayOf =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Uint16ArrayConstructor
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** float32 tolerance: onnx's own runner uses rtol 1e-3, atol 1e-7; these small tests meet far tighter. */
const FLOAT_RTOL = 1e-6;
const FLOAT_ATOL = 1e-7;

const NOT_CARRIED = "its inputs or outputs are float8, float4 or 2-bit tensors, which onnxruntime-node cannot carry";
const NO_4BIT =
  'its inputs or outputs are int4/uint4, which onnxruntime-node\'s binding refuses ("Tensor.type is not supported")';

/**
 * Tests onnxruntime-node 1.30 cannot run, and why. Everything else must run and match; a test that
 * starts to run (or stops) fails here until this list says so.
 */
const NOT_RUNNABLE: Record<string, string> = {
  test_cast_FLOAT16_to_FLOAT4E2M1: NOT_CARRIED,
  test_cast_FLOAT16_to_FLOAT8E4M3FN: NOT_CARRIED,
  test_cast_FLOAT16_to_FLOAT8E4M3FNUZ: NOT_CARRIED,
  test_cast_FLOAT16_to_FLOAT8E5M2: NOT_CARRIED,
  test_cast_FLOAT16_to_FLOAT8E5M2FNUZ: NOT_CARRIED,
  test_dequantizelinear_e4m3fn: NOT_CARRIED,
  test_dequantizelinear_e4m3fn_float16: NOT_CARRIED,
  test_dequantizelinear_e4m3fn_zero_point: NOT_CARRIED,
  test_dequantizelinear_e5m2: NOT_CARRIED,
  test_dequantizelinear_float4e2m1: NOT_CARRIED,
  test_dequantizelinear_int2: NOT_CARRIED,
  test_dequantizelinear_uint2: NOT_CARRIED,
  test_quantizelinear_e4m3fn: NOT_CARRIED,
  test_quantizelinear_e5m2: NOT_CARRIED,
  test_quantizelinear_float4e2m1: NOT_CARRIED,
  test_quantizelinear_int2: NOT_CARRIED,
  test_quantizelinear_uint2: NOT_CARRIED,
  test_dequantizelinear_int4: NO_4BIT,
  test_dequantizelinear_uint4: NO_4BIT,
  test_quantizelinear_int4: NO_4BIT,
  test_quantizelinear_uint4: NO_4BIT,
};

/** Tests onnxruntime loads but refuses to run, with the reason it gives. */
const RUN_REFUSED: Record<string, RegExp> = {
  // onnxruntime's CPU ConvInteger takes one weight zero point, not one per output channel.
  test_convinteger_with_padding: /Non per-tensor quantization is not supported now/,
};

/** The corpus's tests; when it is absent (and the suite skipped), a placeholder so the skip is counted. */
function testDirs(corpus: string): string[] {
  if (!existsSync(corpus)) return ["(the corpus is absent)"];
  return readdirSync(corpus, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith("test_"))
    .map((entry) => entry.name)
    .sort();
}

/** Element count from a tensor's dims. */
const elementCount = (tensor: TensorProto) =>
  tensor.dims.reduce((count, dim) => count * int64ToNumber(dim, "a dimension"), 1);

/** The tensor's values in onnxruntime-node's typed array, from raw_data or the typed fields. */
function valuesOf(tensor: TensorProto): { type: Tensor.Type; data: Tensor.DataType } {
  const carried = CARRIED[tensor.dataType as DataType];
  if (!carried) throw new Error(`${dtypeName(tensor.dataType)} is not carried by onnxruntime-node`);
  const count = elementCount(tensor);
  const length = count;
  const { array } = carried;
  if (tensor.rawData.length > 0) {
    // Copied: raw_data is a view into the file and need not be aligned for the element size.
    const bytes = tensor.rawData.slice();
    return { type: carried.type, data: new array(bytes.buffer, 0, length) };
  }
  const fromFields = (): ArrayLike<number> | ArrayLike<bigint> => {
    if (tensor.floatData.length > 0) return tensor.floatData;
    if (tensor.doubleData.length > 0) return tensor.doubleData;
    if (tensor.int64Data.length > 0) return tensor.int64Data;
    if (tensor.uint64Data.length > 0) {
      return array === BigUint64Array ? tensor.uint64Data : tensor.uint64Data.map(Number);
    }
    return tensor.int32Data; // int8/16/32, uint8/16, bool, float16 bits
  };
  const values = fromFields();
  expect(values.length).toBe(length);
  return { type: carried.type, data: (array as { from(values: ArrayLike<unknown>): Tensor.DataType }).from(values) };
}

/** An output's values in a comparable form: float16 as its bits, whatever array onnxruntime chose. */
function comparable(type: Tensor.Type, data: Tensor.DataType): ArrayLike<number | bigint> {
  if (type === "float16" && !(data instanceof Uint16Array)) {
    const view = data as unknown as { buffer: ArrayBuffer; byteOffset: number; length: number };
    return new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  return data as ArrayLike<number | bigint>;
}

function expectMatches(name: string, actual: Tensor, expected: TensorProto): void {
  const wanted = valuesOf(expected);
  expect(actual.type, name).toBe(wanted.type);
  expect([...actual.dims], name).toEqual(expected.dims.map(Number));
  const got = Array.from(comparable(actual.type, actual.data));
  const want = Array.from(comparable(wanted.type, wanted.data));
  if (wanted.type !== "float32" && wanted.type !== "float64") {
    expect(got, name).toEqual(want); // integers and float16 bits: exact
    return;
  }
  expect(got.length, name).toBe(want.length);
  got.forEach((value, index) => {
    const target = want[index] as number;
    const tolerance = FLOAT_ATOL + FLOAT_RTOL * Math.abs(target);
    if (Math.abs((value as number) - target) > tolerance) {
      expect.fail(`${name}[${index}] is ${String(value)}, expected ${target} (±${tolerance})`);
    }
  });
}

function conformanceSuite(folder: string): void {
  describeConformance(`ONNX backend node tests (${folder})`, folder, (corpus) => {
    it.each(testDirs(corpus))("%s", async (test) => {
      const testDir = path.join(corpus, test);
      const modelPath = path.join(testDir, "model.onnx");
      const model = decodeModel(new Uint8Array(readFileSync(modelPath)));
      const inspection = inspectModelProto(model);
      checkGraph(model);

      const dataDir = path.join(testDir, "test_data_set_0");
      const read = (file: string) => decodeTensor(new Uint8Array(readFileSync(path.join(dataDir, file))));
      const inputs = inspection.inputs.map((_, index) => read(`input_${index}.pb`));
      const outputs = inspection.outputs.map((_, index) => read(`output_${index}.pb`));
      const types = [...inputs, ...outputs].map((tensor) => tensor.dataType as DataType);
      const runnable = types.every((type) => CARRIED[type] !== undefined);
      expect(runnable ? null : NOT_RUNNABLE[test]).toBe(NOT_RUNNABLE[test] ?? null);
      if (!runnable) return;

      const session: InferenceSession = await createConfinedSession(modelPath, { intraOpNumThreads: 1 });
      try {
        const feeds: Record<string, Tensor> = {};
        inspection.inputs.forEach((spec, index) => {
          const { type, data } = valuesOf(inputs[index]!);
          feeds[spec.name] = new Tensor(type, data, inputs[index]!.dims.map(Number));
        });
        const refusal = RUN_REFUSED[test];
        if (refusal) {
          await expect(session.run(feeds)).rejects.toThrow(refusal);
          return;
        }
        const results = await session.run(feeds);
        inspection.outputs.forEach((spec, index) =>
          expectMatches(`${test}: ${spec.name}`, results[spec.name]!, outputs[index]!),
        );
      } finally {
        await session.release();
      }
    });
  });
}

conformanceSuite("onnx-node");
conformanceSuite("onnx-node-opset13");
