/**
 * Reads what a registry and an inference endpoint need to know about an ONNX model (signature,
 * opset, producer, size) from its ModelProto, and refuses models that cannot be stored as one file.
 */
import { OnnxModelError } from "./errors";
import { decodeModel, hasOwnField, int64ToNumber, onnx } from "./proto";

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

export function dtypeName(dataType: number | null | undefined): string {
  if (!dataType) return "undefined";
  return DTYPE_NAMES[dataType] ?? `unknown(${dataType})`;
}

export function inspectOnnx(bytes: Uint8Array): OnnxInspection {
  return inspectModelProto(decodeModel(bytes));
}

/** Like inspectOnnx, for a model that is already decoded (the loader also runs checkGraph on it). */
export function inspectModelProto(model: onnx.IModelProto): OnnxInspection {
  const graph = model.graph;
  if (!graph) throw new OnnxModelError("not an ONNX model: the file has no graph");
  const irVersion = model.irVersion == null ? 0 : int64ToNumber(model.irVersion, "ir_version");
  if (irVersion <= 0) {
    throw new OnnxModelError(
      "not a valid ONNX model: ir_version is missing; re-export the model with a current exporter",
    );
  }
  rejectExternalData(model);

  const opsetImports = (model.opsetImport ?? []).map((entry) => ({
    domain: entry.domain ?? "",
    version: entry.version == null ? 0 : int64ToNumber(entry.version, "opset_import version"),
  }));
  const initializerNames = new Set((graph.initializer ?? []).map((tensor) => tensor.name ?? ""));
  const { nodeCount, operators } = countOperators(model);

  return {
    irVersion,
    opset: opsetImports.find((entry) => DEFAULT_DOMAINS.has(entry.domain))?.version ?? null,
    opsetImports,
    producerName: model.producerName ?? "",
    producerVersion: model.producerVersion ?? "",
    graphName: graph.name ?? "",
    // ONNX IR < 4 lists initializers among graph inputs; callers never feed those.
    inputs: (graph.input ?? []).filter((value) => !initializerNames.has(value.name ?? "")).map(tensorSpec),
    outputs: (graph.output ?? []).map(tensorSpec),
    parameterCount: countParameters(graph),
    nodeCount,
    operators,
  };
}

function tensorSpec(value: onnx.IValueInfoProto): TensorSpec {
  const type = value.type ?? {};
  return {
    name: value.name ?? "",
    dtype: describeType(type),
    shape: type.tensorType ? shapeOf(type.tensorType.shape) : [...UNKNOWN_RANK_SHAPE],
  };
}

function describeType(type: onnx.ITypeProto): string {
  if (type.tensorType) return dtypeName(type.tensorType.elemType);
  if (type.sparseTensorType) return `sparse_tensor<${dtypeName(type.sparseTensorType.elemType)}>`;
  if (type.sequenceType) return `sequence<${describeType(type.sequenceType.elemType ?? {})}>`;
  if (type.optionalType) return `optional<${describeType(type.optionalType.elemType ?? {})}>`;
  if (type.mapType) {
    return `map<${dtypeName(type.mapType.keyType)},${describeType(type.mapType.valueType ?? {})}>`;
  }
  return "unknown";
}

function shapeOf(shape: onnx.ITensorShapeProto | null | undefined): (number | string)[] {
  if (!shape) return [...UNKNOWN_RANK_SHAPE];
  return (shape.dim ?? []).map((dim) => {
    if (dim.dimParam) return dim.dimParam;
    if (hasOwnField(dim, "dimValue")) return int64ToNumber(dim.dimValue!, "a dimension");
    return "?";
  });
}

function elementCount(dims: onnx.ITensorProto["dims"]): number {
  let count = 1;
  for (const dim of dims ?? []) count *= int64ToNumber(dim, "an initializer dimension");
  return count;
}

function countParameters(graph: onnx.IGraphProto): number {
  let total = 0;
  for (const tensor of graph.initializer ?? []) total += elementCount(tensor.dims);
  for (const sparse of graph.sparseInitializer ?? []) total += elementCount(sparse.values?.dims);
  return total;
}

/** Every graph in the model: the main graph, then subgraphs of If/Loop/Scan etc., depth first. */
export function* allGraphs(graph: onnx.IGraphProto): Generator<onnx.IGraphProto> {
  yield graph;
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) yield* allGraphs(attribute.g);
      for (const subgraph of attribute.graphs ?? []) yield* allGraphs(subgraph);
    }
  }
}

function countOperators(model: onnx.IModelProto): Pick<OnnxInspection, "nodeCount" | "operators"> {
  const operators: Record<string, number> = {};
  let nodeCount = 0;
  for (const graph of allGraphs(model.graph!)) {
    for (const node of graph.node ?? []) {
      nodeCount++;
      const domain = node.domain ?? "";
      const key = DEFAULT_DOMAINS.has(domain) ? (node.opType ?? "") : `${domain}:${node.opType ?? ""}`;
      operators[key] = (operators[key] ?? 0) + 1;
    }
  }
  return { nodeCount, operators };
}

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/**
 * Modelyard stores exactly one file per version, and onnxruntime would resolve external data paths
 * relative to it, so any tensor that points outside the file is refused before anything loads it.
 */
function rejectExternalData(model: onnx.IModelProto): void {
  for (const tensor of allTensors(model)) {
    if (tensor.dataLocation !== EXTERNAL) continue;
    const location = tensor.externalData?.find((entry) => entry.key === "location")?.value ?? "unnamed";
    throw new OnnxModelError(
      `the model stores weights in external data files (${location}), which cannot be uploaded as a single file; ` +
        "re-export it with all weights inside the .onnx file",
    );
  }
}

function* allTensors(model: onnx.IModelProto): Generator<onnx.ITensorProto> {
  // Function bodies are node lists; wrapping them as a graph lets allGraphs reach their subgraphs too.
  const functionBodies: onnx.IGraphProto = { node: (model.functions ?? []).flatMap((fn) => fn.node ?? []) };
  for (const graph of [...allGraphs(model.graph!), ...allGraphs(functionBodies)]) {
    yield* graph.initializer ?? [];
    for (const sparse of graph.sparseInitializer ?? []) yield* sparseParts(sparse);
    for (const node of graph.node ?? []) {
      for (const attribute of node.attribute ?? []) {
        if (attribute.t) yield attribute.t;
        yield* attribute.tensors ?? [];
        if (attribute.sparseTensor) yield* sparseParts(attribute.sparseTensor);
        for (const sparse of attribute.sparseTensors ?? []) yield* sparseParts(sparse);
      }
    }
  }
}

function* sparseParts(sparse: onnx.ISparseTensorProto): Generator<onnx.ITensorProto> {
  if (sparse.values) yield sparse.values;
  if (sparse.indices) yield sparse.indices;
}
