/**
 * TensorFlow Serving's REST API: predict in the row ("instances") and columnar ("inputs") formats,
 * model status and metadata. https://www.tensorflow.org/tfx/serving/api_rest
 */
import type { ReplicaModel } from "@/lib/serving/schemas";
import type { TensorSpec } from "@/lib/registry/schemas";
import { quoted } from "../messages";
import type { HostedVersion } from "../model-host";
import {
  InvalidInput,
  TF_DTYPE,
  flattenNested,
  isElementType,
  elementCount,
  protocolShape,
  tensorJson,
  toTensorData,
  type ElementType,
  type HostTensor,
} from "../tensors";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `{"b64": "..."}` is TF Serving's spelling of binary string values, not an object of named inputs. */
const isNamedInputs = (value: unknown): value is Record<string, unknown> => isObject(value) && !("b64" in value);

export type TfFormat = "row" | "columnar";

export interface TfRequest {
  format: TfFormat;
  inputs: Map<string, HostTensor>;
  /** Rows in the row format, for splitting the outputs back into predictions. */
  rows: number;
}

function toTensor(spec: TensorSpec, value: unknown, what: string): HostTensor {
  const { values, dims } = flattenNested(value, what);
  const type = spec.dtype as ElementType;
  return { type, dims, data: toTensorData(type, values, what) };
}

function specNamed(specs: TensorSpec[], name: string): TensorSpec {
  const spec = specs.find((candidate) => candidate.name === name);
  if (!spec) {
    throw new InvalidInput(
      `unknown input ${quoted(name)}; the model's inputs are ${specs.map((input) => `'${input.name}'`).join(", ")}`,
    );
  }
  return spec;
}

function parseInstances(instances: unknown, specs: TensorSpec[]): TfRequest {
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new InvalidInput("'instances' must be a non-empty list with one entry per example");
  }
  const named = isNamedInputs(instances[0]);
  if (!named && specs.length > 1) {
    throw new InvalidInput(
      `the model has ${specs.length} inputs, so each instance must be an object naming them: ${specs.map((spec) => `'${spec.name}'`).join(", ")}`,
    );
  }
  const inputs = new Map<string, HostTensor>();
  if (!named) {
    inputs.set(specs[0]!.name, toTensor(specs[0]!, instances, "instances"));
    return { format: "row", inputs, rows: instances.length };
  }
  instances.forEach((instance, index) => {
    if (!isNamedInputs(instance)) throw new InvalidInput(`instances[${index}] must be an object like instances[0]`);
  });
  const names = Object.keys(instances[0] as object);
  for (const name of names) {
    const spec = specNamed(specs, name);
    const column = instances.map((instance, index) => {
      const value = (instance as Record<string, unknown>)[name];
      if (value === undefined) throw new InvalidInput(`instances[${index}] has no ${quoted(name)}`);
      return value;
    });
    inputs.set(name, toTensor(spec, column, `input ${quoted(name)}`));
  }
  return { format: "row", inputs, rows: instances.length };
}

function parseColumnar(columns: unknown, specs: TensorSpec[]): TfRequest {
  const inputs = new Map<string, HostTensor>();
  if (isNamedInputs(columns)) {
    for (const [name, value] of Object.entries(columns)) {
      inputs.set(name, toTensor(specNamed(specs, name), value, `input ${quoted(name)}`));
    }
  } else {
    if (specs.length > 1) {
      throw new InvalidInput(`the model has ${specs.length} inputs, so 'inputs' must be an object naming them`);
    }
    inputs.set(specs[0]!.name, toTensor(specs[0]!, columns, `input '${specs[0]!.name}'`));
  }
  return { format: "columnar", inputs, rows: 0 };
}

export function parseTfRequest(body: unknown, specs: TensorSpec[]): TfRequest {
  if (!isObject(body)) throw new InvalidInput("the request body must be a JSON object with 'instances' or 'inputs'");
  const { signature_name: signatureName, instances, inputs } = body;
  if (signatureName !== undefined && typeof signatureName !== "string") {
    throw new InvalidInput("'signature_name' must be a string; the model has 'serving_default'");
  }
  if (signatureName !== undefined && signatureName !== "serving_default") {
    throw new InvalidInput(`unknown signature_name ${quoted(signatureName)}; the model has 'serving_default'`);
  }
  if (instances !== undefined && inputs !== undefined) {
    throw new InvalidInput("send either 'instances' (row format) or 'inputs' (columnar format), not both");
  }
  if (instances !== undefined) return parseInstances(instances, specs);
  if (inputs !== undefined) return parseColumnar(inputs, specs);
  throw new InvalidInput("the request needs 'instances' (row format) or 'inputs' (columnar format)");
}

/** One value per output, named, or the only output's value alone (TF Serving's shape for both formats). */
function outputsJson(names: string[], outputs: Record<string, HostTensor>, json: (tensor: HostTensor) => string) {
  if (names.length === 1) return json(outputs[names[0]!]!);
  return `{${names.map((name) => `${JSON.stringify(name)}:${json(outputs[name]!)}`).join(",")}}`;
}

/** The response body as JSON text (see tensorJson: it is built for every request). */
export function tfResponse(request: TfRequest, outputs: Record<string, HostTensor>, specs: TensorSpec[]): string {
  const names = specs.map((spec) => spec.name);
  if (request.format === "columnar") {
    return `{"outputs":${outputsJson(names, outputs, (tensor) => tensorJson(tensor, tensor.dims))}}`;
  }
  for (const name of names) {
    if (outputs[name]!.dims[0] !== request.rows) {
      throw new InvalidInput(
        `output '${name}' has no per-instance first dimension, so it cannot be returned in the row format; send 'inputs' (columnar) instead`,
      );
    }
  }
  const predictions: string[] = [];
  for (let row = 0; row < request.rows; row++) {
    predictions.push(
      outputsJson(names, outputs, (tensor) => {
        const inner = tensor.dims.slice(1);
        return tensorJson(tensor, inner, row * elementCount(inner));
      }),
    );
  }
  return `{"predictions":[${predictions.join(",")}]}`;
}

const TF_STATE = { READY: "AVAILABLE", LOADING: "LOADING", FAILED: "END" } as const;

/** GET /v1/models/{name}: one entry per version this replica knows about. */
export function tfModelStatus(states: ReplicaModel[]) {
  return {
    model_version_status: states.map((state) => ({
      version: String(state.version),
      state: TF_STATE[state.state],
      status:
        state.state === "FAILED"
          ? { error_code: "UNKNOWN", error_message: state.message ?? "failed to load" }
          : { error_code: "OK", error_message: "" },
    })),
  };
}

const tensorInfo = (spec: TensorSpec) => ({
  dtype: isElementType(spec.dtype) ? TF_DTYPE[spec.dtype] : "DT_INVALID",
  tensor_shape: {
    dim: protocolShape(spec.shape).map((size) => ({ size: String(size), name: "" })),
    unknown_rank: false,
  },
  name: spec.name,
});

export function tfModelMetadata(hosted: HostedVersion) {
  const { inputs, outputs } = hosted.signature;
  return {
    model_spec: { name: hosted.modelName, signature_name: "", version: String(hosted.version) },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: Object.fromEntries(inputs.map((spec) => [spec.name, tensorInfo(spec)])),
            outputs: Object.fromEntries(outputs.map((spec) => [spec.name, tensorInfo(spec)])),
            method_name: "tensorflow/serving/predict",
          },
        },
      },
    },
  };
}
