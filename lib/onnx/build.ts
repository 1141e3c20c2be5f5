/**
 * A small ONNX writer for multilayer perceptrons: the demo seed, tests and benchmarks build real
 * models with it instead of shipping binary fixtures.
 */
import { GraphBuilder, type AttributeValue } from "./graph-builder";

export { decodeModel, encodeModel } from "./proto";
export { tensorValueInfo, type DimInit } from "./graph-builder";

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

const BATCH_DIM = "batch";
const ACTIVATION_OP = { relu: "Relu", tanh: "Tanh" } as const;

export function buildMlp(spec: MlpSpec): Uint8Array {
  validateLayers(spec.layers);
  const graph = new GraphBuilder({
    opset: spec.opset,
    graphName: "mlp",
    irVersion: 8,
    producerName: spec.producerName,
    docString: spec.docString ?? "",
  });
  let current = graph.input(spec.inputName, "float32", [BATCH_DIM, spec.layers[0]!.inFeatures]);
  const emit = (opType: string, inputs: string[], name: string, attributes: Record<string, AttributeValue> = {}) => {
    current = graph.node(opType, inputs, attributes, { name })[0]!;
  };

  spec.layers.forEach((layer, index) => {
    const weights = graph.initializer(`layer${index}.weight`, layer.weights, [layer.inFeatures, layer.outFeatures]);
    const bias = graph.initializer(`layer${index}.bias`, layer.bias, [layer.outFeatures]);
    emit("Gemm", [current, weights, bias], `layer${index}/Gemm`);
    if (index < spec.layers.length - 1)
      emit(ACTIVATION_OP[spec.activation], [current], `layer${index}/${ACTIVATION_OP[spec.activation]}`);
  });
  if (spec.softmaxOutput) emit("Softmax", [current], "Softmax", { axis: -1n });

  // The last node's output is renamed to outputName: the graph has no trailing Identity.
  graph.output(current, "float32", [BATCH_DIM, spec.layers[spec.layers.length - 1]!.outFeatures], spec.outputName);
  return graph.toBytes();
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
