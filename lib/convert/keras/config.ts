import { KerasModelError } from "./errors";

/**
 * `model_config` (Keras 2 HDF5) or `config.json` (Keras 3 archive) walked into a typed layer graph.
 * Only built-in Keras classes are accepted: anything that would make Keras import or run code the
 * file brings (Lambda, custom classes, objects from other modules) is refused here, before any
 * conversion looks at it.
 */

/** A reference to a layer output: the layer, which call of it (node) and which of its outputs. */
export interface TensorRef {
  layer: string;
  nodeIndex: number;
  tensorIndex: number;
}

export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** Functional models: for each call of the layer, the tensors it was called on. Empty in a Sequential. */
  inboundNodes: TensorRef[][];
  /** The model a nested Sequential/Functional layer stands for. */
  model?: KerasModelGraph;
  /** The layer a Bidirectional/TimeDistributed wrapper holds. */
  wrapped?: KerasLayer;
}

export type KerasModelKind = "Sequential" | "Functional";

export interface KerasModelGraph {
  kind: KerasModelKind;
  /** As written in the file: Sequential, Model (Keras 2) or Functional (tf.keras 2.4+, Keras 3). */
  className: string;
  name: string;
  layers: KerasLayer[];
  /** Functional models only; a Sequential's input is its first layer's. */
  inputs: TensorRef[];
  outputs: TensorRef[];
}

const MODEL_CLASSES: Record<string, KerasModelKind> = {
  Sequential: "Sequential",
  Model: "Functional",
  Functional: "Functional",
};

const WRAPPER_CLASSES = new Set(["Bidirectional", "TimeDistributed"]);

/** Layers that run Python code stored in the file. */
const CODE_CARRYING_CLASSES = new Set(["Lambda", "TFOpLambda", "SlicingOpLambda"]);

/** Keras 2 and 3 built-in layer classes (conversion support is decided later, per class). */
export const KERAS_BUILT_IN_LAYERS: ReadonlySet<string> = new Set([
  ...Object.keys(MODEL_CLASSES),
  ...WRAPPER_CLASSES,
  "InputLayer",
  "Dense",
  "EinsumDense",
  "Activation",
  "ActivityRegularization",
  "Dropout",
  "SpatialDropout1D",
  "SpatialDropout2D",
  "SpatialDropout3D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "Masking",
  "Flatten",
  "Reshape",
  "Permute",
  "RepeatVector",
  "Identity",
  "Conv1D",
  "Conv2D",
  "Conv3D",
  "Conv1DTranspose",
  "Conv2DTranspose",
  "Conv3DTranspose",
  "DepthwiseConv1D",
  "DepthwiseConv2D",
  "SeparableConv1D",
  "SeparableConv2D",
  "ConvLSTM1D",
  "ConvLSTM2D",
  "ConvLSTM3D",
  "MaxPooling1D",
  "MaxPooling2D",
  "MaxPooling3D",
  "AveragePooling1D",
  "AveragePooling2D",
  "AveragePooling3D",
  "GlobalAveragePooling1D",
  "GlobalAveragePooling2D",
  "GlobalAveragePooling3D",
  "GlobalMaxPooling1D",
  "GlobalMaxPooling2D",
  "GlobalMaxPooling3D",
  "BatchNormalization",
  "LayerNormalization",
  "GroupNormalization",
  "UnitNormalization",
  "Normalization",
  "Rescaling",
  "ReLU",
  "LeakyReLU",
  "PReLU",
  "ELU",
  "ThresholdedReLU",
  "Softmax",
  "Add",
  "Subtract",
  "Multiply",
  "Average",
  "Maximum",
  "Minimum",
  "Concatenate",
  "Dot",
  "ZeroPadding1D",
  "ZeroPadding2D",
  "ZeroPadding3D",
  "Cropping1D",
  "Cropping2D",
  "Cropping3D",
  "UpSampling1D",
  "UpSampling2D",
  "UpSampling3D",
  "Embedding",
  "SimpleRNN",
  "LSTM",
  "GRU",
  "RNN",
  "SimpleRNNCell",
  "LSTMCell",
  "GRUCell",
  "StackedRNNCells",
  "CuDNNLSTM",
  "CuDNNGRU",
  "Attention",
  "AdditiveAttention",
  "MultiHeadAttention",
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keras 3 names its own modules `keras`, `keras.layers`, `keras.src...`; tf.keras wrote none. */
function isKerasModule(module: unknown): boolean {
  return (
    module === undefined ||
    module === null ||
    module === "keras" ||
    (typeof module === "string" && module.startsWith("keras."))
  );
}

/**
 * Refuses any serialized object in a layer's config that Keras would import from elsewhere: a
 * `module` outside Keras, or a `registered_name` (set for custom objects, `package>Class`).
 */
function refuseForeignObjects(value: unknown, layerName: string): void {
  if (Array.isArray(value)) {
    for (const item of value) refuseForeignObjects(item, layerName);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.class_name === "string") {
    if (!isKerasModule(value.module)) {
      throw new KerasModelError(
        `layer '${layerName}' uses '${value.class_name}' from module '${String(value.module)}', which is not part of Keras`,
      );
    }
    const registered = value.registered_name;
    if (registered !== undefined && registered !== null && registered !== value.class_name) {
      throw new KerasModelError(
        `layer '${layerName}' uses '${String(registered)}', a registered custom object that is not part of Keras`,
      );
    }
  }
  for (const child of Object.values(value)) refuseForeignObjects(child, layerName);
}

function tensorRef(value: unknown, context: string): TensorRef {
  if (Array.isArray(value) && typeof value[0] === "string") {
    return { layer: value[0], nodeIndex: Number(value[1] ?? 0), tensorIndex: Number(value[2] ?? 0) };
  }
  throw new KerasModelError(`${context} is not a layer reference [name, node, tensor]`);
}

/** `input_layers` / `output_layers`: a list of references, or (Keras 3, one tensor) a single one. */
function tensorRefs(value: unknown, context: string): TensorRef[] {
  if (!Array.isArray(value)) throw new KerasModelError(`${context} is missing`);
  if (typeof value[0] === "string") return [tensorRef(value, context)];
  return value.map((item) => tensorRef(item, context));
}

/** Keras 3 call arguments: every `__keras_tensor__` found in args (nested lists included), in order. */
function kerasTensorHistories(value: unknown, found: TensorRef[], context: string): void {
  if (Array.isArray(value)) {
    for (const item of value) kerasTensorHistories(item, found, context);
    return;
  }
  if (!isObject(value)) return;
  if (value.class_name === "__keras_tensor__" && isObject(value.config)) {
    found.push(tensorRef(value.config.keras_history, context));
    return;
  }
  for (const child of Object.values(value)) kerasTensorHistories(child, found, context);
}

/** inbound_nodes in the Keras 2 list form `[[[name, node, tensor, kwargs], ...]]` or the Keras 3 dict form. */
function inboundNodes(value: unknown, layerName: string): TensorRef[][] {
  if (value === undefined) return [];
  const context = `layer '${layerName}': inbound_nodes`;
  if (!Array.isArray(value)) throw new KerasModelError(`${context} is not a list`);
  return value.map((node) => {
    if (Array.isArray(node)) return node.map((input) => tensorRef(input, context));
    if (isObject(node)) {
      const found: TensorRef[] = [];
      kerasTensorHistories(node.args, found, context);
      return found;
    }
    throw new KerasModelError(`${context} holds a node that is neither a list nor an object`);
  });
}

function parseLayer(value: unknown, where: string): KerasLayer {
  if (!isObject(value) || typeof value.class_name !== "string") {
    throw new KerasModelError(`${where} is not a Keras layer (no class_name)`);
  }
  const className = value.class_name;
  const config = isObject(value.config) ? value.config : {};
  const nameSource = value.name ?? config.name;
  const name = typeof nameSource === "string" ? nameSource : `(unnamed ${className})`;
  if (CODE_CARRYING_CLASSES.has(className)) {
    throw new KerasModelError(`layer '${name}' (${className}) carries Python code and is refused`);
  }
  if (!KERAS_BUILT_IN_LAYERS.has(className)) {
    throw new KerasModelError(`layer '${name}' has class '${className}', which is not a Keras built-in layer`);
  }
  const layer: KerasLayer = {
    className,
    name,
    config,
    inboundNodes: inboundNodes(value.inbound_nodes, name),
  };
  if (className in MODEL_CLASSES) {
    layer.model = parseModel(value, name);
    return layer;
  }
  // Wrapped layers are checked as layers; the rest of the config is scanned for foreign objects.
  if (WRAPPER_CLASSES.has(className)) {
    layer.wrapped = parseLayer(config.layer, `layer '${name}': its wrapped layer`);
    refuseForeignObjects({ ...config, layer: undefined, backward_layer: undefined }, name);
    if (config.backward_layer !== undefined) parseLayer(config.backward_layer, `layer '${name}': its backward layer`);
  } else {
    refuseForeignObjects(config, name);
  }
  refuseForeignObjects({ module: value.module, class_name: className, registered_name: value.registered_name }, name);
  return layer;
}

/** Parses a Sequential or Functional model config (the top level or a nested model layer). */
export function parseModel(value: unknown, where = "the model config"): KerasModelGraph {
  if (!isObject(value) || typeof value.class_name !== "string") {
    throw new KerasModelError(`${where} is not a Keras model (no class_name)`);
  }
  const kind = MODEL_CLASSES[value.class_name];
  if (kind === undefined) {
    throw new KerasModelError(
      `${where} has class '${value.class_name}', not a Sequential or Functional model (subclassed models carry Python code and are refused)`,
    );
  }
  refuseForeignObjects(
    { module: value.module, class_name: value.class_name, registered_name: value.registered_name },
    String(value.name ?? where),
  );
  // Keras 2.0–2.2 Sequential: config is the list of layers itself.
  const config: Json = Array.isArray(value.config)
    ? { layers: value.config }
    : isObject(value.config)
      ? value.config
      : {};
  if (!Array.isArray(config.layers)) throw new KerasModelError(`${where} has no list of layers`);
  const name =
    typeof config.name === "string" ? config.name : typeof value.name === "string" ? value.name : value.class_name;
  const layers = config.layers.map((layer, index) => parseLayer(layer, `layer ${index} of '${name}'`));
  if (kind === "Sequential") {
    return { kind, className: value.class_name, name, layers, inputs: [], outputs: [] };
  }
  const model: KerasModelGraph = {
    kind,
    className: value.class_name,
    name,
    layers,
    inputs: tensorRefs(config.input_layers, `model '${name}': input_layers`),
    outputs: tensorRefs(config.output_layers, `model '${name}': output_layers`),
  };
  checkReferences(model);
  return model;
}

/** Every tensor a Functional model refers to names one of its own layers. */
function checkReferences(model: KerasModelGraph): void {
  const names = new Set(model.layers.map((layer) => layer.name));
  const check = (ref: TensorRef, context: string): void => {
    if (!names.has(ref.layer)) {
      throw new KerasModelError(
        `model '${model.name}': ${context} refers to layer '${ref.layer}', which it does not have`,
      );
    }
  };
  for (const ref of model.inputs) check(ref, "input_layers");
  for (const ref of model.outputs) check(ref, "output_layers");
  for (const layer of model.layers) {
    for (const node of layer.inboundNodes) for (const ref of node) check(ref, `layer '${layer.name}'`);
  }
}

/** Every layer of the graph, nested models' layers and wrapped layers included, depth first. */
export function* allLayers(model: KerasModelGraph): Generator<KerasLayer> {
  for (const layer of model.layers) {
    yield layer;
    if (layer.model) yield* allLayers(layer.model);
    if (layer.wrapped) yield layer.wrapped;
  }
}
