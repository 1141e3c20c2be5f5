/**
 * A small ONNX writer for multilayer perceptrons: the demo seed, tests and benchmarks build real
 * models with it instead of shipping binary fixtures.
 */
import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeInit,
  type NodeInit,
  type TensorInit,
  type ValueInfoInit,
} from "./proto";

export { decodeModel, encodeModel } from "./proto";

export type MlpLayer = {
  /** Row-major [inFeatures, outFeatures], so that y = x · W + b. */
  weights: Float32Array;
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
};

export type MlpSpec = {
  inputName: string;
  outputName: string;
  layers: MlpLayer[];
  /** Applied between layers, not after the last one. */
  activation: "relu" | "tanh";
  /** Ends the graph with Softmax(axis=-1). */
  softmaxOutput: boolean;
  opset?: number;
  producerName?: string;
  docString?: string;
};

const IR_VERSION = 8;
const DEFAULT_OPSET = 17;
const BATCH_DIM = "batch";
const ACTIVATION_OP = { relu: "Relu", tanh: "Tanh" } as const;

/** A dimension as builders write it: a size, a name (dynamic), or null (unknown and unnamed). */
export type DimInit = number | string | null;

/** A tensor-typed graph input or output; without `dims` its rank is unknown too. */
export function tensorValueInfo(name: string, elemType: DataType, dims?: DimInit[]): ValueInfoInit {
  const shape = dims ? { shape: { dim: dims.map(dimension) } } : {};
  return { name, type: { value: { case: "tensorType", value: { elemType, ...shape } } } };
}

function dimension(dim: DimInit) {
  if (dim === null) return {};
  return typeof dim === "number"
    ? { value: { case: "dimValue" as const, value: BigInt(dim) } }
    : { value: { case: "dimParam" as const, value: dim } };
}

export function buildMlp(spec: MlpSpec): Uint8Array {
  validateLayers(spec.layers);
  const nodes: NodeInit[] = [];
  const initializers: TensorInit[] = [];
  let current = spec.inputName;
  // Every intermediate value gets a fresh name; the last node writes straight to outputName.
  const finalNodeIndex = spec.layers.length * 2 - 2 + (spec.softmaxOutput ? 1 : 0);
  const emit = (opType: string, inputs: string[], name: string, attribute: AttributeInit[] = []) => {
    const output = nodes.length === finalNodeIndex ? spec.outputName : `${name}_output`;
    nodes.push({ opType, input: inputs, output: [output], name, attribute });
    current = output;
  };

  spec.layers.forEach((layer, index) => {
    const weightName = `layer${index}.weight`;
    const biasName = `layer${index}.bias`;
    initializers.push(
      floatTensor(weightName, [layer.inFeatures, layer.outFeatures], layer.weights),
      floatTensor(biasName, [layer.outFeatures], layer.bias),
    );
    emit("Gemm", [current, weightName, biasName], `layer${index}/Gemm`);
    if (index < spec.layers.length - 1)
      emit(ACTIVATION_OP[spec.activation], [current], `layer${index}/${ACTIVATION_OP[spec.activation]}`);
  });
  if (spec.softmaxOutput) emit("Softmax", [current], "Softmax", [{ name: "axis", type: AttributeType.INT, i: -1n }]);

  const firstLayer = spec.layers[0]!;
  const lastLayer = spec.layers[spec.layers.length - 1]!;
  return encodeModel({
    irVersion: BigInt(IR_VERSION),
    opsetImport: [{ domain: "", version: BigInt(spec.opset ?? DEFAULT_OPSET) }],
    producerName: spec.producerName ?? "modelyard",
    docString: spec.docString ?? "",
    graph: {
      name: "mlp",
      node: nodes,
      initializer: initializers,
      input: [tensorValueInfo(spec.inputName, DataType.FLOAT, [BATCH_DIM, firstLayer.inFeatures])],
      output: [tensorValueInfo(spec.outputName, DataType.FLOAT, [BATCH_DIM, lastLayer.outFeatures])],
    },
  });
}

function validateLayers(layers: MlpLayer[]): void {
  if (layers.length === 0) throw new Error("buildMlp needs at least one layer");
  layers.forEach((layer, index) => {
    if (layer.weights.length !== layer.inFeatures * layer.outFeatures) {
      throw new Error(
        `layer ${index}: weights has ${layer.weights.length} values, expected ${layer.inFeatures}×${layer.outFeatures}`,
      );
    }
    if (layer.bias.length !== layer.outFeatures) {
      throw new Error(`layer ${index}: bias has ${layer.bias.length} values, expected ${layer.outFeatures}`);
    }
    const previous = layers[index - 1];
    if (previous && previous.outFeatures !== layer.inFeatures) {
      throw new Error(
        `layer ${index}: takes ${layer.inFeatures} features but layer ${index - 1} produces ${previous.outFeatures}`,
      );
    }
  });
}

/** float32 initializer stored as little-endian raw_data (written explicitly, whatever the host's byte order). */
function floatTensor(name: string, dims: number[], values: Float32Array): TensorInit {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  values.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return { name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData };
}

/** mulberry32: tiny, fast, deterministic; plenty for reproducible benchmark weights. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Layers with Xavier-uniform weights and small biases for the given widths, e.g. [256, 2048, 2048, 10]. */
export function randomMlpLayers(sizes: number[], seed: number): MlpLayer[] {
  if (sizes.length < 2) throw new Error("randomMlp needs at least an input and an output size");
  const random = mulberry32(seed);
  const uniform = (limit: number) => (random() * 2 - 1) * limit;
  return sizes.slice(1).map((outFeatures, index) => {
    const inFeatures = sizes[index]!;
    const limit = Math.sqrt(6 / (inFeatures + outFeatures));
    const weights = new Float32Array(inFeatures * outFeatures);
    for (let i = 0; i < weights.length; i++) weights[i] = uniform(limit);
    const bias = new Float32Array(outFeatures);
    for (let i = 0; i < bias.length; i++) bias[i] = uniform(0.1);
    return { weights, bias, inFeatures, outFeatures };
  });
}

/** A deterministic random MLP (relu, softmax output, input "input", output "output" unless overridden). */
export function randomMlp(sizes: number[], seed: number, overrides: Partial<Omit<MlpSpec, "layers">> = {}): Uint8Array {
  return buildMlp({
    inputName: "input",
    outputName: "output",
    activation: "relu",
    softmaxOutput: true,
    ...overrides,
    layers: randomMlpLayers(sizes, seed),
  });
}
