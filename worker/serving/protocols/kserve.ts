/**
 * The Open Inference Protocol (KServe V2) over REST/JSON.
 * https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
 */
import type { TensorSpec } from "@/lib/registry/schemas";
import { requestIdProblem, type RequestId } from "@/lib/serving/request-id";
import { quoted } from "../messages";
import type { HostedVersion } from "../model-host";
import {
  InvalidInput,
  MAX_TENSOR_RANK,
  V2_DATATYPE,
  elementCount,
  elementTypeOfV2,
  flattenNested,
  isElementType,
  protocolShape,
  tensorJson,
  toTensorData,
  type HostTensor,
} from "../tensors";

/** A signature dtype in V2's words ("float32" → "FP32"). */
export const v2Type = (dtype: string) => (isElementType(dtype) ? V2_DATATYPE[dtype] : dtype);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export interface V2Request {
  id: RequestId | undefined;
  inputs: Map<string, HostTensor>;
  /** Outputs the caller asked for; all of them when absent. */
  outputNames: string[] | null;
}

/** A dimension beyond this cannot be a real tensor's (onnxruntime's sizes are 64-bit, JSON's exact integers 53). */
const MAX_DIMENSION = 2 ** 31 - 1;

function parseShape(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.length > MAX_TENSOR_RANK) {
    throw new InvalidInput(`${what}: 'shape' must be a list of at most ${MAX_TENSOR_RANK} dimensions`);
  }
  if (!value.every((dim) => Number.isInteger(dim) && (dim as number) >= 0 && (dim as number) <= MAX_DIMENSION)) {
    throw new InvalidInput(`${what}: 'shape' must be a list of integers from 0 to ${MAX_DIMENSION}`);
  }
  if (elementCount(value as number[]) > Number.MAX_SAFE_INTEGER) {
    throw new InvalidInput(`${what}: 'shape' [${value.join(", ")}] has more elements than any request can carry`);
  }
  return value as number[];
}

function parseInput(raw: unknown, index: number): [string, HostTensor] {
  if (!isObject(raw)) throw new InvalidInput(`inputs[${index}] must be an object with name, shape, datatype and data`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== "string" || name === "") throw new InvalidInput(`inputs[${index}] has no 'name'`);
  const what = `input ${quoted(name)}`;
  if (typeof datatype !== "string") throw new InvalidInput(`${what} has no 'datatype' (e.g. "FP32")`);
  const type = elementTypeOfV2(datatype);
  if (!type) {
    throw new InvalidInput(
      `${what} has datatype ${quoted(datatype)}, which is not a KServe V2 datatype (${Object.values(V2_DATATYPE).join(", ")})`,
    );
  }
  const dims = parseShape(shape, what);
  if (data === undefined) throw new InvalidInput(`${what} has no 'data'`);
  const { values } = flattenNested(data, `${what} data`);
  const expected = elementCount(dims);
  if (values.length !== expected) {
    throw new InvalidInput(`${what} has ${values.length} values but its shape [${dims.join(", ")}] needs ${expected}`);
  }
  return [name, { type, dims, data: toTensorData(type, values, what) }];
}

export function parseV2Request(body: unknown): V2Request {
  if (!isObject(body)) throw new InvalidInput("the request body must be a JSON object with an 'inputs' list");
  const { id, inputs, outputs } = body;
  const idProblem = id === undefined ? null : requestIdProblem(id, "'id'");
  if (idProblem) throw new InvalidInput(idProblem);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InvalidInput("'inputs' must be a non-empty list of {name, shape, datatype, data}");
  }
  const parsed = new Map<string, HostTensor>();
  inputs.forEach((raw, index) => {
    const [name, tensor] = parseInput(raw, index);
    if (parsed.has(name)) throw new InvalidInput(`input ${quoted(name)} is given twice`);
    parsed.set(name, tensor);
  });
  let outputNames: string[] | null = null;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every((output) => isObject(output) && typeof output.name === "string")) {
      throw new InvalidInput("'outputs' must be a list of {name} objects naming the outputs to return");
    }
    outputNames = outputs.map((output) => (output as { name: string }).name);
  }
  return { id: id as RequestId | undefined, inputs: parsed, outputNames };
}

export function selectOutputs(specs: TensorSpec[], requested: string[] | null): TensorSpec[] {
  if (!requested) return specs;
  return requested.map((name) => {
    const spec = specs.find((candidate) => candidate.name === name);
    if (!spec) {
      throw new InvalidInput(
        `unknown output ${quoted(name)}; the model's outputs are ${specs.map((output) => `'${output.name}'`).join(", ")}`,
      );
    }
    return spec;
  });
}

/** The response body as JSON text (see tensorJson: it is built for every request). */
export function v2Response(
  hosted: HostedVersion,
  id: string,
  outputs: Record<string, HostTensor>,
  selected: TensorSpec[],
): string {
  let text = `{"model_name":${JSON.stringify(hosted.modelName)},"model_version":"${hosted.version}","id":${JSON.stringify(id)},"outputs":[`;
  for (let index = 0; index < selected.length; index++) {
    const spec = selected[index]!;
    const tensor = outputs[spec.name]!;
    if (index > 0) text += ",";
    text += `{"name":${JSON.stringify(spec.name)},"datatype":"${V2_DATATYPE[tensor.type]}","shape":[${tensor.dims.join(",")}],"data":${tensorJson(tensor, [tensor.data.length])}}`;
  }
  return `${text}]}`;
}

const tensorMetadata = (spec: TensorSpec) => ({
  name: spec.name,
  datatype: v2Type(spec.dtype),
  shape: protocolShape(spec.shape),
});

export function v2ModelMetadata(modelName: string, served: HostedVersion, versions: number[]) {
  return {
    name: modelName,
    versions: versions.map(String),
    platform: "onnxruntime_onnx",
    inputs: served.signature.inputs.map(tensorMetadata),
    outputs: served.signature.outputs.map(tensorMetadata),
  };
}
