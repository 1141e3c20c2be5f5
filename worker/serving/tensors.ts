/**
 * Tensors as the serving path sees them: JSON values from a request turned into typed arrays of the
 * model's element type, checked against the version's signature, and back again for the response.
 */
import { elementBytes, formatBytes } from "@/lib/onnx/request-cost";
import type { TensorSpec } from "@/lib/registry/schemas";
import { quoted } from "./messages";

export type ElementType =
  | "float32"
  | "float64"
  | "float16"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "bool"
  | "string";

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

/** A tensor in the serving process. float16 is held as raw half-precision bits, bool as 0/1 bytes. */
export interface HostTensor {
  type: ElementType;
  dims: number[];
  data: TensorData;
}

/** A request failed for a reason the caller can fix; the protocols answer 400 with this message. */
export class InvalidInput extends Error {
  override name = "InvalidInput";
}

/** KServe V2 datatype names, by element type. */
export const V2_DATATYPE: Record<ElementType, string> = {
  float32: "FP32",
  float64: "FP64",
  float16: "FP16",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  bool: "BOOL",
  string: "BYTES",
};

const ELEMENT_OF_V2 = Object.fromEntries(Object.entries(V2_DATATYPE).map(([element, v2]) => [v2, element])) as Record<
  string,
  ElementType
>;

export const elementTypeOfV2 = (datatype: string): ElementType | undefined => ELEMENT_OF_V2[datatype.toUpperCase()];

export function isElementType(dtype: string): dtype is ElementType {
  return dtype in V2_DATATYPE;
}

/** TensorFlow's DataType names, for TF Serving's metadata. */
export const TF_DTYPE: Record<ElementType, string> = {
  float32: "DT_FLOAT",
  float64: "DT_DOUBLE",
  float16: "DT_HALF",
  int8: "DT_INT8",
  int16: "DT_INT16",
  int32: "DT_INT32",
  int64: "DT_INT64",
  uint8: "DT_UINT8",
  uint16: "DT_UINT16",
  uint32: "DT_UINT32",
  uint64: "DT_UINT64",
  bool: "DT_BOOL",
  string: "DT_STRING",
};

const INTEGER_RANGE: Partial<Record<ElementType, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** Signature shapes name dynamic dimensions ("batch", "?"); those are -1 in the protocols. */
const isFixed = (dim: number | string): dim is number => typeof dim === "number" && dim >= 0;

export const protocolShape = (shape: (number | string)[]): number[] => shape.map((dim) => (isFixed(dim) ? dim : -1));

export const elementCount = (dims: readonly number[]): number => dims.reduce((count, dim) => count * dim, 1);

/** Deeper nesting is not a tensor any model takes, and walking it would exhaust the stack. */
export const MAX_TENSOR_RANK = 32;

/** The largest finite value of each float type; a JSON number beyond it would silently become infinity. */
const FLOAT_MAX: Partial<Record<ElementType, number>> = {
  float16: 65504,
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

export const describeShape = (dims: (number | string)[]): string => `[${dims.join(", ")}]`;

/**
 * Flattens a nested JSON array, returning its values and shape. Ragged nesting is an error naming
 * where it happened, since the caller's data is then not a tensor at all.
 */
export function flattenNested(value: unknown, what: string): { values: unknown[]; dims: number[] } {
  if (!Array.isArray(value)) return { values: [value], dims: [] };
  const dims: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    if (dims.length === MAX_TENSOR_RANK) {
      throw new InvalidInput(
        `${what} is nested more than ${MAX_TENSOR_RANK} lists deep; tensors have at most ${MAX_TENSOR_RANK} dimensions`,
      );
    }
    dims.push(level.length);
  }
  if (dims.includes(0)) return { values: [], dims };
  if (dims.length === 1) {
    // The common case (V2's flat data): no copy, one pass, a loop rather than a callback per element.
    for (let index = 0; index < value.length; index++) {
      if (Array.isArray(value[index]))
        throw new InvalidInput(`${what} is ragged: ${what}[${index}] is a list among values`);
    }
    return { values: value, dims };
  }
  const values: unknown[] = [];
  collectNested(value, 0, dims, values, [], what);
  return { values, dims };
}

/** Where in a nested list an element is, spelled out only for an error message. */
const pathOf = (what: string, trail: number[]) => `${what}${trail.map((index) => `[${index}]`).join("")}`;

/** Appends the values of a nested list, checking it is as deep and wide everywhere as `dims` says. */
function collectNested(node: unknown, depth: number, dims: number[], values: unknown[], trail: number[], what: string) {
  if (!Array.isArray(node) || node.length !== dims[depth]) {
    const length = Array.isArray(node) ? node.length : "not a list";
    throw new InvalidInput(
      `${what} is ragged: ${pathOf(what, trail)} has ${length} elements where ${dims[depth]} were expected`,
    );
  }
  const innermost = depth === dims.length - 1;
  for (let index = 0; index < node.length; index++) {
    const child: unknown = node[index];
    if (!innermost) {
      trail.push(index);
      collectNested(child, depth + 1, dims, values, trail, what);
      trail.pop();
    } else if (Array.isArray(child)) {
      throw new InvalidInput(`${what} is ragged: ${pathOf(what, [...trail, index])} is nested deeper than the rest`);
    } else {
      values.push(child);
    }
  }
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

const roundHalfEven = (value: number) => {
  const floor = Math.floor(value);
  const fraction = value - floor;
  return fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
};

/** IEEE 754 binary16 bits of a number (round to nearest even), as onnxruntime expects for float16. */
export function toHalfBits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  // Below the smallest normal half: count units of 2^-24 (reaching 1024 lands on the smallest normal).
  if (halfExponent <= 0) return sign | roundHalfEven(Math.abs(scratchFloat[0]) * 2 ** 24);
  const rounded = (halfExponent << 10) + roundHalfEven(mantissa / 2 ** 13);
  return sign | Math.min(rounded, 0x7c00);
}

export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A JSON value as an error message shows it: never whole (a list or object may be huge or deep). */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

function elementError(what: string, index: number, expected: string, got: unknown): InvalidInput {
  return new InvalidInput(`${what}: element ${index} is ${describeValue(got)}, expected ${expected}`);
}

/**
 * JSON numbers for float tensors, within the type's range; also the strings "NaN", "Infinity" and
 * "-Infinity", which JSON cannot spell.
 */
function toFloat(value: unknown, type: ElementType, what: string, index: number): number {
  if (typeof value === "number") {
    const max = FLOAT_MAX[type]!;
    if (value <= max && value >= -max) return value;
    throw elementError(what, index, `a number within ${type}'s range (±${max}); send "Infinity" for infinity`, value);
  }
  if (value === "NaN") return NaN;
  if (value === "Infinity" || value === "inf") return Infinity;
  if (value === "-Infinity" || value === "-inf") return -Infinity;
  throw elementError(what, index, "a number", value);
}

function toInteger(value: unknown, type: ElementType, what: string, index: number): number {
  const [min, max] = INTEGER_RANGE[type]!;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw elementError(what, index, `an integer in ${type}'s range ${min}..${max}`, value);
  }
  return value;
}

/** Typed data of `type` from JSON values; every element is checked, so bad data is a 400, never NaN. */
export function toTensorData(type: ElementType, values: unknown[], what: string): TensorData {
  const count = values.length;
  switch (type) {
    case "float32":
    case "float64": {
      const data = type === "float32" ? new Float32Array(count) : new Float64Array(count);
      const max = FLOAT_MAX[type]!;
      for (let index = 0; index < count; index++) {
        const value = values[index];
        data[index] =
          typeof value === "number" && value <= max && value >= -max ? value : toFloat(value, type, what, index);
      }
      return data;
    }
    case "float16": {
      const data = new Uint16Array(count);
      for (let index = 0; index < count; index++) data[index] = toHalfBits(toFloat(values[index], type, what, index));
      return data;
    }
    case "int64":
    case "uint64": {
      const data = type === "int64" ? new BigInt64Array(count) : new BigUint64Array(count);
      for (let index = 0; index < count; index++) data[index] = BigInt(toInteger(values[index], type, what, index));
      return data;
    }
    case "bool": {
      const data = new Uint8Array(count);
      for (let index = 0; index < count; index++) {
        const value = values[index];
        if (typeof value !== "boolean") throw elementError(what, index, "true or false", value);
        data[index] = value ? 1 : 0;
      }
      return data;
    }
    case "string": {
      return values.map((value, index) => {
        if (typeof value === "string") return value;
        if (value && typeof value === "object" && typeof (value as { b64?: unknown }).b64 === "string") {
          return Buffer.from((value as { b64: string }).b64, "base64").toString("utf8");
        }
        throw elementError(what, index, "a string", value);
      });
    }
    default: {
      const Constructor = {
        int8: Int8Array,
        int16: Int16Array,
        int32: Int32Array,
        uint8: Uint8Array,
        uint16: Uint16Array,
        uint32: Uint32Array,
      }[type];
      const data = new Constructor(count);
      for (let index = 0; index < count; index++) data[index] = toInteger(values[index], type, what, index);
      return data;
    }
  }
}

/** How one element is spelled in JSON (int64 beyond 2^53 loses precision, as JSON numbers do). */
function elementJson(type: ElementType, data: TensorData, index: number): string {
  switch (type) {
    case "string":
      return JSON.stringify((data as string[])[index]);
    case "bool":
      return (data as Uint8Array)[index] ? "true" : "false";
    case "float16":
      return numberJson(fromHalfBits((data as Uint16Array)[index]!));
    case "int64":
    case "uint64":
      return numberJson(Number((data as BigInt64Array | BigUint64Array)[index]));
    default:
      return numberJson((data as PlainNumbers)[index]!);
  }
}

type PlainNumbers = Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;

const numberJson = (value: number): string => (Number.isFinite(value) ? String(value) : "null");

/** Element types whose typed array holds the values themselves (not bits, bytes for booleans or bigints). */
const holdsPlainNumbers = (type: ElementType) =>
  type !== "string" && type !== "bool" && type !== "float16" && type !== "int64" && type !== "uint64";

/**
 * JSON text of a tensor's values from element `offset` on, nested by `dims` (row-major): the text
 * JSON.stringify gives for the same values, written straight into one string because a response is
 * built for every request. Pass `[count]` for a flat list, `[]` for a single value.
 */
export function tensorJson(tensor: HostTensor, dims: readonly number[], offset = 0): string {
  const { type, data } = tensor;
  if (dims.length === 0) return elementJson(type, data, offset);
  let text = "[";
  if (dims.length === 1) {
    const end = offset + dims[0]!;
    if (holdsPlainNumbers(type)) {
      for (let index = offset; index < end; index++) {
        if (index > offset) text += ",";
        text += numberJson((data as PlainNumbers)[index]!);
      }
    } else {
      for (let index = offset; index < end; index++)
        text += (index > offset ? "," : "") + elementJson(type, data, index);
    }
    return `${text}]`;
  }
  const inner = dims.slice(1);
  const stride = elementCount(inner);
  for (let index = 0; index < dims[0]!; index++) {
    if (index > 0) text += ",";
    text += tensorJson(tensor, inner, offset + index * stride);
  }
  return `${text}]`;
}

export interface CheckedInput {
  spec: TensorSpec;
  tensor: HostTensor;
}

/**
 * Checks a request's tensors against the version's inputs: names, element types, ranks, fixed
 * dimensions, and that a named dynamic dimension ("batch") has one size across all inputs.
 */
export function checkInputs(
  specs: TensorSpec[],
  provided: Map<string, HostTensor>,
  describeType: (type: string) => string,
): HostTensor[] {
  for (const name of provided.keys()) {
    if (!specs.some((spec) => spec.name === name)) {
      throw new InvalidInput(
        `unknown input ${quoted(name)}; the model's inputs are ${specs.map((spec) => `'${spec.name}'`).join(", ")}`,
      );
    }
  }
  // Loops rather than callbacks: this runs for every request.
  let namedDims: Map<string, { size: number; input: string }> | undefined;
  const ordered: HostTensor[] = [];
  for (const spec of specs) {
    const tensor = provided.get(spec.name);
    if (!tensor) {
      throw new InvalidInput(
        `input '${spec.name}' is missing; the model expects ${describeType(spec.dtype)} ${describeShape(spec.shape)}`,
      );
    }
    if (tensor.type !== spec.dtype) {
      throw new InvalidInput(
        `input '${spec.name}' has type ${describeType(tensor.type)} but the model expects ${describeType(spec.dtype)}`,
      );
    }
    if (tensor.dims.length !== spec.shape.length) throw shapeMismatch(spec, tensor);
    for (let axis = 0; axis < spec.shape.length; axis++) {
      const dim = spec.shape[axis]!;
      const size = tensor.dims[axis]!;
      if (typeof dim === "number") {
        if (dim >= 0 && size !== dim) throw shapeMismatch(spec, tensor);
      } else if (dim !== "?") {
        namedDims ??= new Map();
        const seen = namedDims.get(dim);
        if (!seen) namedDims.set(dim, { size, input: spec.name });
        else if (seen.size !== size) {
          throw new InvalidInput(
            `dimension '${dim}' is ${seen.size} in input '${seen.input}' but ${size} in input '${spec.name}'`,
          );
        }
      }
    }
    ordered.push(tensor);
  }
  return ordered;
}

const shapeMismatch = (spec: TensorSpec, tensor: HostTensor) =>
  new InvalidInput(
    `input '${spec.name}' has shape ${describeShape(tensor.dims)} but the model expects ${describeShape(spec.shape)}`,
  );

/** Every dimension from `fromAxis` on is fixed (from 1: rows of any request have the same shape). */
export const hasFixedShape = (spec: TensorSpec, fromAxis = 0): boolean => spec.shape.slice(fromAxis).every(isFixed);

/** Zero-filled data of `count` elements: typed arrays are zeroed by the allocator, with no per-element work. */
function zeroData(type: ElementType, count: number): TensorData {
  switch (type) {
    case "string":
      return new Array<string>(count).fill("");
    case "bool":
      return new Uint8Array(count);
    case "float16":
      return new Uint16Array(count);
    default:
      return new TYPED_ARRAY[type](count);
  }
}

const TYPED_ARRAY = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
} as const;

/** A sample the warm-up would need more memory for than it may take; nothing was allocated. */
export class SampleTooLarge extends Error {
  override name = "SampleTooLarge";
}

/**
 * A zero-filled input for warm-up and timing runs: a dynamic first dimension becomes `rows`, other
 * dynamic ones 1. The shape comes from an untrusted model, so its size is checked against `maxBytes`
 * before anything is allocated.
 */
export function sampleTensor(spec: TensorSpec, rows: number, maxBytes: number): HostTensor {
  if (!isElementType(spec.dtype))
    throw new Error(`input '${spec.name}' has type ${spec.dtype}, which serving does not support`);
  const dims = spec.shape.map((dim, axis) => (isFixed(dim) ? dim : axis === 0 ? rows : 1));
  const count = elementCount(dims);
  const bytes = count * elementBytes(spec.dtype);
  // `!(a <= b)`: a NaN or infinite size is refused too.
  if (!(bytes <= maxBytes) || !Number.isSafeInteger(count)) {
    throw new SampleTooLarge(
      `a sample of input '${spec.name}' (${spec.dtype} ${describeShape(dims)}) needs ${formatBytes(bytes)}; ` +
        `the limit is ${formatBytes(maxBytes)}`,
    );
  }
  return { type: spec.dtype, dims, data: zeroData(spec.dtype, count) };
}
