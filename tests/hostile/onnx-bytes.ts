/**
 * ONNX messages written field by field (field numbers from onnx.proto), so a hostile model can hold
 * exactly the bytes an attacker would send, including what an ONNX library refuses to encode.
 */
import { bytesField, concatBytes, messageField, stringField, varintField } from "./protobuf-bytes";

export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
} as const;

const AttributeType = { INT: 2, TENSOR: 4, GRAPH: 5 } as const;
const EXTERNAL = 1;

/** A dimension: a number (dim_value, which may be near 2^63) or a name (dim_param). */
export type Dim = number | bigint | string;

export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): Uint8Array {
  const dimFields = dims.map((dim) =>
    typeof dim === "string" ? messageField(1, stringField(2, dim)) : messageField(1, varintField(1, dim)),
  );
  const tensorType = messageField(1, varintField(1, elemType), messageField(2, ...dimFields));
  return concatBytes([stringField(1, name), messageField(2, tensorType)]);
}

export interface TensorFields {
  name?: string;
  dims?: readonly (number | bigint)[];
  dataType: number;
  rawData?: Uint8Array;
  /** Stored outside the file: location (and offset, length) as an ONNX exporter writes them. */
  externalData?: { location: string; offset?: number; length?: number };
}

export function tensor(fields: TensorFields): Uint8Array {
  const parts = (fields.dims ?? []).map((dim) => varintField(1, dim));
  parts.push(varintField(2, fields.dataType));
  if (fields.name !== undefined) parts.push(stringField(8, fields.name));
  if (fields.rawData) parts.push(bytesField(9, fields.rawData));
  if (fields.externalData) {
    const { location, offset, length } = fields.externalData;
    const entry = (key: string, value: string) => messageField(13, stringField(1, key), stringField(2, value));
    parts.push(entry("location", location));
    if (offset !== undefined) parts.push(entry("offset", String(offset)));
    if (length !== undefined) parts.push(entry("length", String(length)));
    parts.push(varintField(14, EXTERNAL));
  }
  return concatBytes(parts);
}

/** An attribute is given as its already-encoded AttributeProto fields (see the helpers below). */
export interface NodeFields {
  opType: string;
  inputs?: readonly string[];
  outputs?: readonly string[];
  name?: string;
  domain?: string;
  attributes?: readonly Uint8Array[];
}

export function node(fields: NodeFields): Uint8Array {
  return concatBytes([
    ...(fields.inputs ?? []).map((input) => stringField(1, input)),
    ...(fields.outputs ?? []).map((output) => stringField(2, output)),
    ...(fields.name !== undefined ? [stringField(3, fields.name)] : []),
    stringField(4, fields.opType),
    ...(fields.attributes ?? []).map((attribute) => bytesField(5, attribute)),
    ...(fields.domain !== undefined ? [stringField(7, fields.domain)] : []),
  ]);
}

export const intAttribute = (name: string, value: number) =>
  concatBytes([stringField(1, name), varintField(3, value), varintField(20, AttributeType.INT)]);

export const graphAttribute = (name: string, graphBytes: Uint8Array) =>
  concatBytes([stringField(1, name), bytesField(6, graphBytes), varintField(20, AttributeType.GRAPH)]);

/** A TENSOR attribute whose `t` field appears once per given tensor, in order (protobuf merges repeats). */
export const tensorAttribute = (name: string, ...copies: Uint8Array[]) =>
  concatBytes([
    stringField(1, name),
    ...copies.map((copy) => bytesField(5, copy)),
    varintField(20, AttributeType.TENSOR),
  ]);

export interface GraphFields {
  name?: string;
  nodes: readonly Uint8Array[];
  initializers?: readonly Uint8Array[];
  inputs: readonly Uint8Array[];
  outputs: readonly Uint8Array[];
}

export function graph(fields: GraphFields): Uint8Array {
  return concatBytes([
    ...fields.nodes.map((encoded) => bytesField(1, encoded)),
    stringField(2, fields.name ?? "graph"),
    ...(fields.initializers ?? []).map((encoded) => bytesField(5, encoded)),
    ...fields.inputs.map((encoded) => bytesField(11, encoded)),
    ...fields.outputs.map((encoded) => bytesField(12, encoded)),
  ]);
}

export interface ModelFields {
  graph: Uint8Array;
  opsets?: readonly { domain: string; version: number }[];
  irVersion?: number;
}

export function model(fields: ModelFields): Uint8Array {
  const opsets = fields.opsets ?? [{ domain: "", version: 17 }];
  return concatBytes([
    varintField(1, fields.irVersion ?? 8),
    stringField(2, "modelyard-hostile-corpus"),
    bytesField(7, fields.graph),
    ...opsets.map((opset) => messageField(8, stringField(1, opset.domain), varintField(2, opset.version))),
  ]);
}

export const floatBytes = (values: readonly number[]) => {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return bytes;
};

/** y = x + weight for float [1, n]: the weight is the initializer under test. */
export function addInitializerModel(weight: Uint8Array, n: number): Uint8Array {
  return model({
    graph: graph({
      nodes: [node({ opType: "Add", inputs: ["x", "weight"], outputs: ["y"] })],
      initializers: [weight],
      inputs: [valueInfo("x", DataType.FLOAT, [1, n])],
      outputs: [valueInfo("y", DataType.FLOAT, [1, n])],
    }),
  });
}

/** One Identity per tensor, in one graph: each input comes back as the output `<name>_out`. */
export function identityModel(tensors: readonly { name: string; elemType: number; dims: readonly Dim[] }[]) {
  return model({
    graph: graph({
      name: "identities",
      nodes: tensors.map((spec) => node({ opType: "Identity", inputs: [spec.name], outputs: [`${spec.name}_out`] })),
      inputs: tensors.map((spec) => valueInfo(spec.name, spec.elemType, spec.dims)),
      outputs: tensors.map((spec) => valueInfo(`${spec.name}_out`, spec.elemType, spec.dims)),
    }),
  });
}
