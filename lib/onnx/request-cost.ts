/**
 * What one request to a model costs, read from its signature alone: the bytes of a single-row
 * request's input and output tensors. A fixed dimension counts as it is, a dynamic one (named, "?",
 * or a shape of unknown rank) as 1, so this is the least any request needs. Validation refuses models
 * whose least request is already too big, and serving never allocates a sample before checking it.
 */
import type { TensorSpec } from "./inspect";

/**
 * Bytes per element, by numpy-style dtype. A string counts as one reference (its characters come
 * with the request); 4-bit types as half a byte; types serving cannot carry (sequences, maps) as 1.
 */
const ELEMENT_BYTES: Record<string, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  uint64: 8,
  int32: 4,
  uint32: 4,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
  complex128: 16,
  float8e4m3fn: 1,
  float8e4m3fnuz: 1,
  float8e5m2: 1,
  float8e5m2fnuz: 1,
  uint4: 0.5,
  int4: 0.5,
  float4e2m1: 0.5,
  string: 8,
};

export const elementBytes = (dtype: string): number => ELEMENT_BYTES[dtype] ?? 1;

const isFixedDim = (dim: number | string): dim is number => typeof dim === "number" && dim >= 0;

/** The dims of one row: every dynamic dimension (the batch one included) is 1. */
export const singleRowDims = (shape: readonly (number | string)[]): number[] =>
  shape.map((dim) => (isFixedDim(dim) ? dim : 1));

/** Element count of a shape. Plain doubles: a product past 2^53 is approximate but never wraps around. */
export const shapeElements = (dims: readonly number[]): number => dims.reduce((count, dim) => count * dim, 1);

export interface TensorCost {
  role: "input" | "output";
  name: string;
  dtype: string;
  /** The signature's shape, as a person reads it (named dims kept). */
  shape: (number | string)[];
  elements: number;
  bytes: number;
}

export interface RequestCost {
  inputBytes: number;
  outputBytes: number;
  /** Values in a single-row request's inputs: each takes at least two characters in a JSON body. */
  inputElements: number;
  inputs: TensorCost[];
  outputs: TensorCost[];
}

function tensorCost(role: TensorCost["role"], spec: TensorSpec): TensorCost {
  const elements = shapeElements(singleRowDims(spec.shape));
  return {
    role,
    name: spec.name,
    dtype: spec.dtype,
    shape: spec.shape,
    elements,
    bytes: elements * elementBytes(spec.dtype),
  };
}

const sum = (costs: TensorCost[], key: "bytes" | "elements") => costs.reduce((total, cost) => total + cost[key], 0);

export function requestCost(signature: { inputs: TensorSpec[]; outputs: TensorSpec[] }): RequestCost {
  const inputs = signature.inputs.map((spec) => tensorCost("input", spec));
  const outputs = signature.outputs.map((spec) => tensorCost("output", spec));
  return {
    inputBytes: sum(inputs, "bytes"),
    outputBytes: sum(outputs, "bytes"),
    inputElements: sum(inputs, "elements"),
    inputs,
    outputs,
  };
}

const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const;

/** 268435456 → "256 MiB", 1536 → "1.5 KiB"; astronomically large sizes in exponent form. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "more bytes than can be counted";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (value >= 1024) return `${value.toExponential(2)} ${UNITS[unit]}`;
  const rounded = value >= 100 || Number.isInteger(value) ? Math.round(value) : Number(value.toFixed(1));
  return `${rounded} ${UNITS[unit]}`;
}

export const describeTensor = (cost: TensorCost): string =>
  `${cost.role} '${cost.name}' is ${cost.dtype} [${cost.shape.join(", ")}]`;

const largest = (costs: TensorCost[], key: "bytes" | "elements") =>
  costs.reduce((big, cost) => (cost[key] > big[key] ? cost : big));

export interface RequestLimits {
  /** The most bytes the inputs, or the outputs, of one request may take. */
  maxTensorBytes: number;
  /** The largest request body a replica reads; set where the model is about to be served. */
  maxBodyBytes?: number;
}

/** Why one request to a model with this signature is too big for the limits, or null when it fits. */
export function requestTooLarge(
  signature: { inputs: TensorSpec[]; outputs: TensorSpec[] },
  limits: RequestLimits,
): string | null {
  const cost = requestCost(signature);
  const limit = `the limit is ${formatBytes(limits.maxTensorBytes)} (MAX_REQUEST_TENSOR_BYTES)`;
  for (const [side, bytes, tensors] of [
    ["input", cost.inputBytes, cost.inputs],
    ["output", cost.outputBytes, cost.outputs],
  ] as const) {
    // `!(a <= b)` so that a NaN or infinite size is refused too.
    if (tensors.length > 0 && !(bytes <= limits.maxTensorBytes)) {
      return `one request to this model needs ${formatBytes(bytes)} of ${side} (${describeTensor(largest(tensors, "bytes"))}); ${limit}`;
    }
  }
  // The shortest JSON for a value is a digit and a comma: a body smaller than that can never carry a row.
  const minimumBody = cost.inputElements * 2;
  if (limits.maxBodyBytes !== undefined && cost.inputs.length > 0 && !(minimumBody <= limits.maxBodyBytes)) {
    return (
      `one request to this model needs at least ${formatBytes(minimumBody)} of JSON ` +
      `(${describeTensor(largest(cost.inputs, "elements"))}); ` +
      `the largest request body is ${formatBytes(limits.maxBodyBytes)} (SERVING_MAX_BODY_BYTES)`
    );
  }
  return null;
}
