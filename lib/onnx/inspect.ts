/**
 * Reads what a registry and an inference endpoint need to know about an ONNX model (signature,
 * opset, producer, size) from its ModelProto, and refuses models that cannot be stored as one file.
 */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { OnnxModelError } from "./errors";
import {
  DataLocation,
  decodeModel,
  firstLine,
  int64ToNumber,
  ModelProtoSchema,
  TensorProtoSchema,
  type GraphProto,
  type ModelProto,
  type TensorProto,
  type TensorShapeProto,
  type TypeProto,
  type ValueInfoProto,
} from "./proto";

export type TensorSpec = {
  name: string;
  /** numpy-style element type: "float32", "int64", "bool", …; non-tensors read "sequence<float32>" etc. */
  dtype: string;
  /** dim_value as a number, dim_param as its name, an unnamed unknown dim as "?". */
  shape: (number | string)[];
};

/** Shape of a value whose rank itself is unknown (no shape in the model). */
export const UNKNOWN_RANK_SHAPE: readonly string[] = Object.freeze(["..."]);

export type OnnxInspection = {
  irVersion: number;
  /** Version of the default operator set ("" or "ai.onnx"), null if the model does not import it. */
  opset: number | null;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Element count of all initializers (dense and sparse non-zeros). */
  parameterCount: number;
  /** Nodes in the main graph and all subgraphs. */
  nodeCount: number;
  /** op_type → count, over all graphs; ops outside the default domain are keyed "domain:OpType". */
  operators: Record<string, number>;
};

const DEFAULT_DOMAINS = new Set(["", "ai.onnx"]);

/** TensorProto.DataType → numpy-style name (values past BFLOAT16 come from newer onnx.proto). */
const DTYPE_NAMES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  21: "uint4",
  22: "int4",
  23: "float4e2m1",
};

export function dtypeName(dataType: number | undefined): string {
  if (!dataType) return "undefined";
  return DTYPE_NAMES[dataType] ?? `unknown(${dataType})`;
}

export function inspectOnnx(bytes: Uint8Array): OnnxInspection {
  return inspectModelProto(decodeModel(bytes));
}

/** Like inspectOnnx, for a model that is already decoded (the loader also runs checkGraph on it). */
export function inspectModelProto(model: ModelProto): OnnxInspection {
  const graph = model.graph;
  if (!graph) throw new OnnxModelError("not an ONNX model: the file has no graph");
  const irVersion = int64ToNumber(model.irVersion, "ir_version");
  if (irVersion <= 0) {
    throw new OnnxModelError(
      "not a valid ONNX model: ir_version is missing; re-export the model with a current exporter",
    );
  }
  rejectExternalData(model);

  const opsetImports = model.opsetImport.map((entry) => ({
    domain: entry.domain,
    version: int64ToNumber(entry.version, "opset_import version"),
  }));
  const initializerNames = new Set(graph.initializer.map((tensor) => tensor.name));
  const { nodeCount, operators } = countOperators(model);

  return {
    irVersion,
    opset: opsetImports.find((entry) => DEFAULT_DOMAINS.has(entry.domain))?.version ?? null,
    opsetImports,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graphName: graph.name,
    // ONNX IR < 4 lists initializers among graph inputs; callers never feed those.
    inputs: graph.input.filter((value) => !initializerNames.has(value.name)).map(tensorSpec),
    outputs: graph.output.map(tensorSpec),
    parameterCount: countParameters(graph),
    nodeCount,
    operators,
  };
}

function tensorSpec(value: ValueInfoProto): TensorSpec {
  const type = value.type?.value;
  return {
    name: value.name,
    dtype: describeType(value.type),
    shape: type?.case === "tensorType" ? shapeOf(type.value.shape) : [...UNKNOWN_RANK_SHAPE],
  };
}

function describeType(type: TypeProto | undefined): string {
  const value = type?.value;
  switch (value?.case) {
    case "tensorType":
      return dtypeName(value.value.elemType);
    case "sparseTensorType":
      return `sparse_tensor<${dtypeName(value.value.elemType)}>`;
    case "sequenceType":
      return `sequence<${describeType(value.value.elemType)}>`;
    case "optionalType":
      return `optional<${describeType(value.value.elemType)}>`;
    case "mapType":
      return `map<${dtypeName(value.value.keyType)},${describeType(value.value.valueType)}>`;
    default:
      return "unknown";
  }
}

function shapeOf(shape: TensorShapeProto | undefined): (number | string)[] {
  if (!shape) return [...UNKNOWN_RANK_SHAPE];
  return shape.dim.map(({ value }) => {
    if (value.case === "dimParam" && value.value) return value.value;
    if (value.case === "dimValue") return int64ToNumber(value.value, "a dimension");
    return "?";
  });
}

function elementCount(dims: bigint[]): number {
  let count = 1;
  for (const dim of dims) count *= int64ToNumber(dim, "an initializer dimension");
  return count;
}

function countParameters(graph: GraphProto): number {
  let total = 0;
  for (const tensor of graph.initializer) total += elementCount(tensor.dims);
  for (const sparse of graph.sparseInitializer) total += elementCount(sparse.values?.dims ?? []);
  return total;
}

/** Every graph in the model: the main graph, then subgraphs of If/Loop/Scan etc., depth first. */
export function* allGraphs(graph: GraphProto): Generator<GraphProto> {
  yield graph;
  for (const node of graph.node) {
    for (const attribute of node.attribute) {
      if (attribute.g) yield* allGraphs(attribute.g);
      for (const subgraph of attribute.graphs) yield* allGraphs(subgraph);
    }
  }
}

function countOperators(model: ModelProto): Pick<OnnxInspection, "nodeCount" | "operators"> {
  const operators: Record<string, number> = {};
  let nodeCount = 0;
  for (const graph of allGraphs(model.graph!)) {
    for (const node of graph.node) {
      nodeCount++;
      const domain = node.domain;
      const key = DEFAULT_DOMAINS.has(domain) ? node.opType : `${domain}:${node.opType}`;
      operators[key] = (operators[key] ?? 0) + 1;
    }
  }
  return { nodeCount, operators };
}

/**
 * Modelyard stores exactly one file per version, and onnxruntime would resolve external data paths
 * against the folder it loads from, so a tensor that points outside the file is refused before
 * anything loads it. Tensors are looked for in every message of the model, not in a list of places
 * (initializers, Constant attributes, subgraphs, functions, training graphs, …): where onnxruntime
 * finds a tensor, so does this.
 */
function rejectExternalData(model: ModelProto): void {
  for (const tensor of messagesOfType<TensorProto>(model, ModelProtoSchema, TensorProtoSchema)) {
    if (tensor.dataLocation !== DataLocation.EXTERNAL && tensor.externalData.length === 0) continue;
    const location = tensor.externalData.find((entry) => entry.key === "location")?.value ?? "";
    throw new OnnxModelError(
      `the model stores weights in external data files (${printableFileName(location) || "unnamed"}), ` +
        "which cannot be uploaded as a single file; re-export it with all weights inside the .onnx file",
    );
  }
}

/**
 * The file's last name only (a location may be any path, and a message shows none), as one short
 * line without control characters.
 */
function printableFileName(location: string): string {
  const name = location.split(/[\\/]/).filter(Boolean).at(-1) ?? "";
  return firstLine(name.replace(/[\p{Cc}\p{Cf}]/gu, "?"), 80);
}

/** Every message of type `target` under `root` (itself included), depth first. */
function* messagesOfType<T extends Message>(root: Message, rootDesc: DescMessage, target: DescMessage): Generator<T> {
  const stack: [Message, DescMessage][] = [[root, rootDesc]];
  while (stack.length > 0) {
    const [message, desc] = stack.pop()!;
    if (desc.typeName === target.typeName) yield message as T;
    const fields = message as unknown as Record<string, unknown>;
    for (const field of desc.fields) {
      if (field.fieldKind === "map" || field.message === undefined || !canContain(field.message, target)) continue;
      if (field.fieldKind === "list") {
        for (const item of fields[field.localName] as Message[]) stack.push([item, field.message]);
      } else if (field.oneof) {
        const chosen = fields[field.oneof.localName] as { case?: string; value?: Message };
        if (chosen.case === field.localName) stack.push([chosen.value!, field.message]);
      } else if (fields[field.localName] !== undefined) {
        stack.push([fields[field.localName] as Message, field.message]);
      }
    }
  }
}

const containment = new Map<string, boolean>();

/** Whether a message of type `desc` can hold a `target` at any depth (onnx.proto is recursive). */
function canContain(desc: DescMessage, target: DescMessage, visiting = new Set<string>()): boolean {
  const key = `${desc.typeName}>${target.typeName}`;
  const known = containment.get(key);
  if (known !== undefined) return known;
  if (desc.typeName === target.typeName) return true;
  if (visiting.has(desc.typeName)) return false; // a cycle adds nothing new
  visiting.add(desc.typeName);
  const result = desc.fields.some(
    (field) => field.message !== undefined && canContain(field.message, target, visiting),
  );
  visiting.delete(desc.typeName);
  // A "false" reached through a cycle may be incomplete; only remember answers from the outermost call.
  if (result || visiting.size === 0) containment.set(key, result);
  return result;
}
