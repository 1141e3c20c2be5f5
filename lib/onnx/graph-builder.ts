/**
 * The ONNX graph builder that converters (Keras, TF.js, PMML) write models with: typed inputs,
 * outputs and initializers, nodes with unique names, attributes inferred from their JS type, and
 * opset imports collected from the domains the nodes use, so a converter never writes protobuf by hand.
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

/** Element types a converter declares at the interface, by their numpy names. */
export type ElementType = "float32" | "float64" | "int32" | "int64" | "string" | "bool";

const ELEMENT_TYPES: Record<ElementType, DataType> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  int64: DataType.INT64,
  string: DataType.STRING,
  bool: DataType.BOOL,
};

/** Initializer values; the array type decides the element type (string[] for string tensors). */
export type TensorValues = Float32Array | Float64Array | Int32Array | BigInt64Array | readonly string[];

/**
 * An attribute value. JS numbers cannot tell 1 from 1.0, so the ONNX convention for int64 decides:
 * bigint is INT, number is FLOAT. Empty lists carry no type, so they are written in the explicit form
 * ({ ints: [] }). `undefined` leaves the attribute out, which keeps optional attributes one-liners.
 */
export type AttributeValue =
  | bigint
  | number
  | string
  | readonly bigint[]
  | readonly number[]
  | readonly string[]
  | { ints: readonly bigint[] }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
  | { tensor: TensorInit }
  | undefined;

export type NodeOptions = {
  /** Operator domain; "" (the default) is ai.onnx, e.g. "ai.onnx.ml" for LinearClassifier. */
  domain?: string;
  /** How many outputs to name automatically (default 1), or their exact names. */
  outputs?: number | readonly string[];
  /** The node's own name; made unique, defaults to the op type. */
  name?: string;
};

export type GraphBuilderOptions = {
  /** Opset of the default domain. 17 is what tf2onnx writes by default and onnxruntime-node runs. */
  opset?: number;
  /** Opsets of other domains, used only when a node of that domain is added. */
  domainOpsets?: Record<string, number>;
  graphName?: string;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Defaults to the lowest IR version that carries `opset`. */
  irVersion?: number;
};

const ML_DOMAIN = "ai.onnx.ml";
/** ai.onnx.ml 3 holds the TreeEnsemble*, LinearClassifier, SVM* and LabelEncoder that onnxruntime runs. */
const DEFAULT_DOMAIN_OPSETS: Record<string, number> = { [ML_DOMAIN]: 3 };

/**
 * The lowest IR version that carries each default-domain opset (onnx/helper.py's VERSION_TABLE):
 * writing a newer IR than needed would shut out older runtimes for nothing.
 */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/** The same for ai.onnx.ml, whose opsets 3, 4 and 5 came with IR 8, 9 and 10. */
function irVersionForMl(opset: number): number {
  return opset <= 2 ? 7 : Math.min(opset + 5, 10);
}

export class GraphBuilder {
  readonly opset: number;
  private readonly options: GraphBuilderOptions;
  private readonly inputs: ValueInfoInit[] = [];
  private readonly outputs: ValueInfoInit[] = [];
  private readonly initializers: TensorInit[] = [];
  private nodes: NodeInit[] = [];
  /** Every value and node name taken so far: ONNX wants value names unique, and node names too. */
  private readonly usedNames = new Set<string>();
  /** Values that exist so far, so a node that reads a misspelt or later value is refused as it is added. */
  private values = new Set<string>();
  /** Old name → new name of outputs renamed by `output`, so nodes added afterwards still find them. */
  private readonly renamed = new Map<string, string>();
  private readonly usedDomains = new Set<string>([""]);

  constructor(options: GraphBuilderOptions = {}) {
    this.options = options;
    this.opset = options.opset ?? 17;
  }

  /** A name not yet used, built from `base` (base, base_1, base_2, …). */
  uniqueName(base: string): string {
    let name = base;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${base}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  /** Declares a graph input; its name is the model's interface, so it is taken as given. */
  input(name: string, elemType: ElementType, dims?: DimInit[]): string {
    this.claim(name, "a graph input");
    this.values.add(name);
    this.inputs.push(tensorValueInfo(name, ELEMENT_TYPES[elemType], dims));
    return name;
  }

  /**
   * Declares `value` as a graph output. With `name`, the value is renamed to it, so the interface gets
   * the name the source model gave it rather than a generated one.
   */
  output(value: string, elemType: ElementType, dims?: DimInit[], name?: string): string {
    const current = this.resolve(value);
    const outputName = name ?? current;
    if (!this.values.has(current))
      throw new Error(`graph output '${outputName}' is '${current}', which nothing produces`);
    if (outputName !== current) this.rename(current, outputName);
    this.outputs.push(tensorValueInfo(outputName, ELEMENT_TYPES[elemType], dims));
    return outputName;
  }

  /** Adds a constant tensor; its element type comes from the array type. Returns the (unique) name. */
  initializer(base: string, values: TensorValues, dims: readonly number[]): string {
    const tensor = tensorInit(values, dims);
    const name = this.uniqueName(base);
    this.initializers.push({ name, ...tensor });
    this.values.add(name);
    return name;
  }

  /**
   * Adds a node and returns the names of its outputs (generated from the node name unless given).
   * Nodes must be added in an order where each reads only values that already exist.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    options: NodeOptions = {},
  ): string[] {
    const domain = options.domain ?? "";
    if (domain !== "" && this.domainOpset(domain) === undefined) {
      throw new Error(`node ${opType} uses domain '${domain}', which has no opset: pass it in domainOpsets`);
    }
    const input = inputs.map((value) => this.resolve(value));
    // An empty name is an omitted optional input.
    const missing = input.find((value) => value !== "" && !this.values.has(value));
    if (missing !== undefined) {
      throw new Error(`node ${opType} reads '${missing}', which no graph input, initializer or earlier node produces`);
    }
    this.usedDomains.add(domain);
    const name = this.uniqueName(options.name ?? opType);
    const outputSpec = options.outputs ?? 1;
    const outputs =
      typeof outputSpec === "number"
        ? Array.from({ length: outputSpec }, (_, index) => this.uniqueName(`${name}_output${index || ""}`))
        : outputSpec.map((output) => this.claim(output, `an output of node ${name}`));
    const attribute = Object.entries(attributes).flatMap(([key, value]) =>
      value === undefined ? [] : [attributeInit(key, value)],
    );
    for (const output of outputs) this.values.add(output);
    this.nodes.push({ opType, input, output: outputs, name, attribute, ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** Runs the graph passes (today: Transpose folding). Returns how many nodes they removed. */
  optimize(): number {
    const before = this.nodes.length;
    this.nodes = foldTransposes(
      this.nodes,
      this.outputs.map((output) => output.name ?? ""),
    );
    // Folding removes the values between merged Transposes: later nodes must not read them.
    this.values = new Set([
      ...this.inputs.map((input) => input.name!),
      ...this.initializers.map((tensor) => tensor.name!),
      ...this.nodes.flatMap((node) => node.output!),
    ]);
    return before - this.nodes.length;
  }

  /** The node list as it stands (for reports and tests); not a copy to edit. */
  get graphNodes(): readonly NodeInit[] {
    return this.nodes;
  }

  toBytes(): Uint8Array {
    const opsetImport = [...this.usedDomains].map((domain) => ({
      domain,
      version: BigInt(domain === "" ? this.opset : this.domainOpset(domain)!),
    }));
    const { producerVersion, docString } = this.options;
    return encodeModel({
      irVersion: BigInt(this.options.irVersion ?? this.minimumIrVersion()),
      opsetImport,
      producerName: this.options.producerName ?? "modelyard",
      // onnx.proto is proto2: a field set, even to "", is written, so only given ones are set.
      ...(producerVersion === undefined ? {} : { producerVersion }),
      ...(docString === undefined ? {} : { docString }),
      graph: {
        name: this.options.graphName ?? "graph",
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  private minimumIrVersion(): number {
    const ml = this.usedDomains.has(ML_DOMAIN) ? irVersionForMl(this.domainOpset(ML_DOMAIN)!) : 0;
    return Math.max(irVersionFor(this.opset), ml);
  }

  private resolve(value: string): string {
    return this.renamed.get(value) ?? value;
  }

  private domainOpset(domain: string): number | undefined {
    return this.options.domainOpsets?.[domain] ?? DEFAULT_DOMAIN_OPSETS[domain];
  }

  /** Takes a name that must be exactly this one (an interface name), refusing a clash. */
  private claim(name: string, what: string): string {
    if (!name) throw new Error(`${what} needs a name`);
    if (this.usedNames.has(name)) throw new Error(`${what} is named '${name}', which is already used in the graph`);
    this.usedNames.add(name);
    return name;
  }

  /**
   * Renames a node output everywhere it is read. Graph inputs, initializers and values already
   * declared as outputs keep their names: an Identity gives the value its second name.
   */
  private rename(value: string, name: string): void {
    const producer = this.nodes.find((node) => node.output?.includes(value));
    if (!producer || this.outputs.some((output) => output.name === value)) {
      this.node("Identity", [value], {}, { outputs: [name] });
      return;
    }
    this.claim(name, "a graph output");
    for (const node of this.nodes) {
      node.input = node.input?.map((input) => (input === value ? name : input));
      node.output = node.output?.map((output) => (output === value ? name : output));
    }
    this.values.delete(value);
    this.values.add(name);
    this.renamed.set(value, name);
  }
}

/** A tensor (an initializer, or a Constant's `value` attribute); refuses values that do not fill `dims`. */
export function tensorInit(values: TensorValues, dims: readonly number[]): TensorInit {
  const count = dims.reduce((product, dim) => product * dim, 1);
  if (values.length !== count) {
    throw new Error(`a tensor of dims [${dims.join(", ")}] holds ${count} values, but ${values.length} were given`);
  }
  return { dims: dims.map(BigInt), ...tensorData(values) };
}

function tensorData(values: TensorValues): Pick<TensorInit, "dataType" | "rawData" | "stringData"> {
  if (!ArrayBuffer.isView(values)) {
    const encoder = new TextEncoder();
    return { dataType: DataType.STRING, stringData: values.map((value) => encoder.encode(value)) };
  }
  // raw_data is little-endian whatever the host's byte order, so each value is written explicitly.
  const rawData = new Uint8Array(values.byteLength);
  const view = new DataView(rawData.buffer);
  if (values instanceof Float32Array) {
    values.forEach((value, index) => view.setFloat32(index * 4, value, true));
    return { dataType: DataType.FLOAT, rawData };
  }
  if (values instanceof Float64Array) {
    values.forEach((value, index) => view.setFloat64(index * 8, value, true));
    return { dataType: DataType.DOUBLE, rawData };
  }
  if (values instanceof Int32Array) {
    values.forEach((value, index) => view.setInt32(index * 4, value, true));
    return { dataType: DataType.INT32, rawData };
  }
  values.forEach((value, index) => view.setBigInt64(index * 8, value, true));
  return { dataType: DataType.INT64, rawData };
}

function attributeInit(name: string, value: NonNullable<AttributeValue>): AttributeInit {
  const encoder = new TextEncoder();
  if (typeof value === "bigint") return { name, type: AttributeType.INT, i: value };
  if (typeof value === "number") return { name, type: AttributeType.FLOAT, f: value };
  if (typeof value === "string") return { name, type: AttributeType.STRING, s: encoder.encode(value) };
  if (isList(value)) {
    if (value.length === 0) {
      throw new Error(`attribute '${name}' is an empty list, whose type is unknown: write { ints: [] } or the like`);
    }
    const first = value[0];
    if (typeof first === "bigint") return attributeInit(name, { ints: value as readonly bigint[] });
    if (typeof first === "number") return attributeInit(name, { floats: value as readonly number[] });
    return attributeInit(name, { strings: value as readonly string[] });
  }
  if ("ints" in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ("floats" in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  if ("strings" in value) {
    return { name, type: AttributeType.STRINGS, strings: value.strings.map((text) => encoder.encode(text)) };
  }
  return { name, type: AttributeType.TENSOR, t: value.tensor };
}

function isList(
  value: NonNullable<AttributeValue>,
): value is readonly bigint[] | readonly number[] | readonly string[] {
  return Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Transpose folding. Converters keep the source's layout at the interface (NHWC for Keras images) and
// wrap each layout-sensitive op in Transposes, so consecutive layers leave Transpose(p) → Transpose(q)
// pairs behind. Like tf2onnx's TransposeOptimizer, a pair whose middle value nobody else reads becomes
// nothing when q∘p is the identity, and one Transpose otherwise.

/** The `perm` of a Transpose node, or null when it is absent (the default reverses, rank unknown here). */
function transposePerm(node: NodeInit): number[] | null {
  const perm = node.attribute?.find((attribute) => attribute.name === "perm");
  return perm?.ints ? perm.ints.map(Number) : null;
}

const isTranspose = (node: NodeInit) => node.opType === "Transpose" && (node.domain ?? "") === "";

/**
 * Returns the nodes with redundant Transpose pairs removed or merged; `graphOutputs` are values that
 * must keep their names. Repeats until no pair is left, so chains of three or more fold too.
 */
export function foldTransposes(nodes: readonly NodeInit[], graphOutputs: readonly string[]): NodeInit[] {
  let current: NodeInit[] = nodes.map((node) => ({
    ...node,
    input: [...(node.input ?? [])],
    output: [...(node.output ?? [])],
  }));
  const outputs = new Set(graphOutputs);
  for (;;) {
    const folded = foldOnePair(current, outputs);
    if (!folded) return current;
    current = folded;
  }
}

function foldOnePair(nodes: NodeInit[], graphOutputs: Set<string>): NodeInit[] | null {
  const producers = new Map<string, NodeInit>();
  const readers = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.output!) producers.set(output, node);
    for (const input of node.input!) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  for (const second of nodes) {
    if (!isTranspose(second)) continue;
    const middle = second.input![0]!;
    const first = producers.get(middle);
    if (!first || !isTranspose(first) || readers.get(middle) !== 1 || graphOutputs.has(middle)) continue;
    const p = transposePerm(first);
    const q = transposePerm(second);
    if (!p || !q || p.length !== q.length) continue;
    // Transpose(p) gives out[i] = in[p[i]]; after Transpose(q), out[j] = in[p[q[j]]].
    const composed = q.map((axis) => p[axis]!);
    const source = first.input![0]!;
    const result = second.output![0]!;
    const identity = composed.every((axis, index) => axis === index);
    const remaining = nodes.filter((node) => node !== first && node !== second);
    if (identity && !graphOutputs.has(result)) {
      // Readers of the result read the source instead; nothing is left of the pair.
      for (const node of remaining) node.input = node.input!.map((input) => (input === result ? source : input));
      return remaining;
    }
    // A graph output keeps its name, so an identity pair becomes an Identity; otherwise one Transpose.
    const replacement: NodeInit = identity
      ? { opType: "Identity", input: [source], output: [result], name: second.name, attribute: [] }
      : {
          ...second,
          input: [source],
          attribute: [{ name: "perm", type: AttributeType.INTS, ints: composed.map(BigInt) }],
        };
    return nodes.filter((node) => node !== first).map((node) => (node === second ? replacement : node));
  }
  return null;
}
