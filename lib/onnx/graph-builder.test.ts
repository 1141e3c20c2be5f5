import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { checkGraph } from "./check";
import { foldTransposes, GraphBuilder, tensorInit } from "./graph-builder";
import { inspectOnnx } from "./inspect";
import { AttributeType, DataType, decodeModel, type NodeInit } from "./proto";

/** The model's bytes, after the checks every upload gets (so a builder bug fails here, not in a runtime). */
function checkedBytes(graph: GraphBuilder): Uint8Array {
  const bytes = graph.toBytes();
  inspectOnnx(bytes);
  checkGraph(decodeModel(bytes));
  return bytes;
}

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, Tensor>;
  } finally {
    await session.release();
  }
}

const floats = (tensor: Tensor | undefined) => Array.from(tensor!.data as Float32Array);
const transpose = (graph: GraphBuilder, value: string, perm: bigint[]) =>
  graph.node("Transpose", [value], { perm })[0]!;

/**
 * NHWC image [1, 2, 2, 2] → NCHW → 1×1 Conv (2 → 2 channels) → NHWC, as a Keras Conv2D converts.
 * With `reluInNchw`, a Relu is wrapped in its own NHWC→NCHW→NHWC transposes too, which leaves one
 * redundant pair between the Conv's closing Transpose and the Relu's opening one.
 */
function nhwcConv({ reluInNchw }: { reluInNchw: boolean }): GraphBuilder {
  const graph = new GraphBuilder();
  const image = graph.input("image", "float32", ["batch", 2, 2, 2]);
  // Output channel 0 copies input channel 0; channel 1 is 0.5·c0 + 0.1·c1 + 1.
  const weights = graph.initializer("kernel", Float32Array.from([1, 0, 0.5, 0.1]), [2, 2, 1, 1]);
  const bias = graph.initializer("bias", Float32Array.from([0, 1]), [2]);
  const nchw = transpose(graph, image, [0n, 3n, 1n, 2n]);
  const conv = graph.node("Conv", [nchw, weights, bias], { kernel_shape: [1n, 1n], strides: [1n, 1n] })[0]!;
  let result = transpose(graph, conv, [0n, 2n, 3n, 1n]);
  if (reluInNchw) {
    const relu = graph.node("Relu", [transpose(graph, result, [0n, 3n, 1n, 2n])])[0]!;
    result = transpose(graph, relu, [0n, 2n, 3n, 1n]);
  }
  graph.output(result, "float32", ["batch", 2, 2, 2], "features");
  return graph;
}

/** NHWC pixels (h, w) → [c0, c1]: (0,0)=[1,10], (0,1)=[2,20], (1,0)=[3,30], (1,1)=[4,40]. */
const image = new Tensor("float32", Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]), [1, 2, 2, 2]);
/** Per pixel: [c0, 0.5·c0 + 0.1·c1 + 1], e.g. (0,0): [1, 0.5 + 1 + 1]. */
const convolved = [1, 2.5, 2, 4, 3, 5.5, 4, 7];

describe("GraphBuilder", () => {
  it("writes a Gemm + Relu graph that onnxruntime runs, with float, int and tensor attributes", async () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float32", ["batch", 2]);
    const weights = graph.initializer("W", Float32Array.from([1, -1, 2, 0.5]), [2, 2]);
    const [bias] = graph.node("Constant", [], { value: { tensor: tensorInit(Float32Array.from([0.5, -1]), [2]) } });
    const [gemm] = graph.node("Gemm", [x, weights, bias!], { alpha: 2, transB: 0n });
    const [relu] = graph.node("Relu", [gemm!]);
    graph.output(relu!, "float32", ["batch", 2], "y");

    const bytes = checkedBytes(graph);
    expect(inspectOnnx(bytes)).toMatchObject({
      irVersion: 8,
      opsetImports: [{ domain: "", version: 17 }],
      inputs: [{ name: "x", dtype: "float32", shape: ["batch", 2] }],
      outputs: [{ name: "y", dtype: "float32", shape: ["batch", 2] }],
      operators: { Constant: 1, Gemm: 1, Relu: 1 },
    });
    const { y } = await run(bytes, { x: new Tensor("float32", Float32Array.from([1, 1, -2, 1]), [2, 2]) });
    // 2·x·W + b: row 0 is 2·[3, -0.5] + [0.5, -1] = [6.5, -2]; row 1 is 2·[0, 2.5] + [0.5, -1] = [0.5, 4].
    expect(floats(y)).toEqual([6.5, 0, 0.5, 4]);
  });

  it("keeps an NHWC interface around an NCHW Conv", async () => {
    const bytes = checkedBytes(nhwcConv({ reluInNchw: false }));
    expect(inspectOnnx(bytes).outputs).toEqual([{ name: "features", dtype: "float32", shape: ["batch", 2, 2, 2] }]);
    const { features } = await run(bytes, { image });
    expect(features!.dims).toEqual([1, 2, 2, 2]);
    expect(floats(features)).toEqual(convolved);
  });

  it("runs an ai.onnx.ml LinearClassifier and imports ai.onnx.ml 3 next to the default opset", async () => {
    const graph = new GraphBuilder({ opset: 15 });
    const x = graph.input("x", "float32", ["n", 2]);
    const [label, scores] = graph.node(
      "LinearClassifier",
      [x],
      {
        // class scores: x0, x1 and 0.5 - x0 - x1
        coefficients: [1, 0, 0, 1, -1, -1],
        intercepts: [0, 0, 0.5],
        classlabels_strings: ["cat", "dog", "fish"],
        multi_class: 0n,
        post_transform: "NONE",
      },
      { domain: "ai.onnx.ml", outputs: 2 },
    );
    graph.output(label!, "string", ["n"], "label");
    graph.output(scores!, "float32", ["n", 3], "scores");

    const bytes = checkedBytes(graph);
    expect(inspectOnnx(bytes)).toMatchObject({
      irVersion: 8,
      opset: 15,
      opsetImports: [
        { domain: "", version: 15 },
        { domain: "ai.onnx.ml", version: 3 },
      ],
      operators: { "ai.onnx.ml:LinearClassifier": 1 },
    });
    const result = await run(bytes, { x: new Tensor("float32", Float32Array.from([2, 1, 0, 3, -1, -1]), [3, 2]) });
    expect(result.label!.data).toEqual(["cat", "dog", "fish"]);
    expect(floats(result.scores)).toEqual([2, 1, -2.5, 0, 3, -2.5, -1, -1, 2.5]);
  });

  it("runs an ai.onnx.ml TreeEnsembleRegressor", async () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float32", ["n", 1]);
    // One tree: x0 <= 0.5 goes to leaf 1 (10), otherwise to leaf 2 (20).
    const [y] = graph.node(
      "TreeEnsembleRegressor",
      [x],
      {
        n_targets: 1n,
        nodes_treeids: [0n, 0n, 0n],
        nodes_nodeids: [0n, 1n, 2n],
        nodes_featureids: [0n, 0n, 0n],
        nodes_values: [0.5, 0, 0],
        nodes_modes: ["BRANCH_LEQ", "LEAF", "LEAF"],
        nodes_truenodeids: [1n, 0n, 0n],
        nodes_falsenodeids: [2n, 0n, 0n],
        target_treeids: [0n, 0n],
        target_nodeids: [1n, 2n],
        target_ids: [0n, 0n],
        target_weights: [10, 20],
        aggregate_function: "SUM",
        post_transform: "NONE",
      },
      { domain: "ai.onnx.ml" },
    );
    graph.output(y!, "float32", ["n", 1], "y");
    const bytes = checkedBytes(graph);
    expect(inspectOnnx(bytes).opsetImports).toEqual([
      { domain: "", version: 17 },
      { domain: "ai.onnx.ml", version: 3 },
    ]);
    const result = await run(bytes, { x: new Tensor("float32", Float32Array.from([0.2, 0.5, 0.9]), [3, 1]) });
    expect(floats(result.y)).toEqual([10, 10, 20]);
  });

  it("takes string and int64 inputs and int64 initializers", async () => {
    const graph = new GraphBuilder();
    const colour = graph.input("colour", "string", ["n"]);
    const count = graph.input("count", "int64", ["n"]);
    const [code] = graph.node(
      "LabelEncoder",
      [colour],
      { keys_strings: ["red", "green", "blue"], values_int64s: [1n, 2n, 3n], default_int64: -1n },
      { domain: "ai.onnx.ml" },
    );
    const offset = graph.initializer("offset", BigInt64Array.from([100n]), [1]);
    const [sum] = graph.node("Add", [code!, count]);
    const [total] = graph.node("Add", [sum!, offset]);
    graph.output(total!, "int64", ["n"], "total");

    const bytes = checkedBytes(graph);
    expect(inspectOnnx(bytes).inputs).toEqual([
      { name: "colour", dtype: "string", shape: ["n"] },
      { name: "count", dtype: "int64", shape: ["n"] },
    ]);
    const result = await run(bytes, {
      colour: new Tensor("string", ["red", "green", "blue", "pink"], [4]),
      count: new Tensor("int64", BigInt64Array.from([10n, 20n, 30n, 40n]), [4]),
    });
    expect(Array.from(result.total!.data as BigInt64Array)).toEqual([111n, 122n, 133n, 139n]);
  });

  it("writes float64 and int32 initializers that onnxruntime reads back", async () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float64", [2]);
    const halves = graph.initializer("halves", Float64Array.from([0.25, 0.5]), [2]);
    const ints = graph.initializer("ints", Int32Array.from([1, -2]), [2]);
    const [cast] = graph.node("Cast", [ints], { to: BigInt(DataType.DOUBLE) });
    const [sum] = graph.node("Add", [x, halves]);
    const [y] = graph.node("Add", [sum!, cast!]);
    graph.output(y!, "float64", [2], "y");
    const result = await run(checkedBytes(graph), { x: new Tensor("float64", Float64Array.from([1, 2]), [2]) });
    expect(Array.from(result.y!.data as Float64Array)).toEqual([2.25, 0.5]);
  });

  it("names values and nodes uniquely, and refuses clashes and malformed values with a reason", () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float32", [1]);
    const [first] = graph.node("Relu", [x]);
    const [second] = graph.node("Relu", [first!]);
    expect([first, second]).toEqual(["Relu_output", "Relu_1_output"]);
    expect(graph.graphNodes.map((node) => node.name)).toEqual(["Relu", "Relu_1"]);
    expect(graph.initializer("Relu", Float32Array.from([1]), [1])).toBe("Relu_2");

    expect(() => graph.input("x", "float32", [1])).toThrow("a graph input is named 'x', which is already used");
    expect(() => graph.initializer("w", Float32Array.from([1, 2, 3]), [2, 2])).toThrow(
      "a tensor of dims [2, 2] holds 4 values, but 3 were given",
    );
    expect(() => graph.node("Squeeze", [x], { axes: [] })).toThrow(/attribute 'axes' is an empty list/);
    expect(() => graph.node("Custom", [x], {}, { domain: "com.example" })).toThrow(
      "node Custom uses domain 'com.example', which has no opset: pass it in domainOpsets",
    );
  });

  it("imports a custom domain at the opset it is given, and only domains that are used", () => {
    const graph = new GraphBuilder({ opset: 13, domainOpsets: { "com.microsoft": 1 } });
    const x = graph.input("x", "float32", [1]);
    graph.output(graph.node("Gelu", [x], {}, { domain: "com.microsoft" })[0]!, "float32", [1]);
    expect(inspectOnnx(checkedBytes(graph))).toMatchObject({
      irVersion: 7,
      opsetImports: [
        { domain: "", version: 13 },
        { domain: "com.microsoft", version: 1 },
      ],
    });
  });

  it("bridges a graph input, or a value declared as an output twice, with an Identity", async () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float32", [2]);
    graph.output(x, "float32", [2], "same");
    const [negated] = graph.node("Neg", [x]);
    graph.output(negated!, "float32", [2], "negated");
    graph.output(negated!, "float32", [2], "negated_again");
    const result = await run(checkedBytes(graph), { x: new Tensor("float32", Float32Array.from([1, 2]), [2]) });
    expect(floats(result.same)).toEqual([1, 2]);
    expect(floats(result.negated)).toEqual([-1, -2]);
    expect(floats(result.negated_again)).toEqual([-1, -2]);
  });

  it("lets nodes added after an output's renaming read it by its old name", async () => {
    const graph = new GraphBuilder();
    const x = graph.input("x", "float32", [1]);
    const [doubled] = graph.node("Add", [x, x]);
    graph.output(doubled!, "float32", [1], "doubled");
    graph.output(graph.node("Neg", [doubled!])[0]!, "float32", [1], "negated");
    const result = await run(checkedBytes(graph), { x: new Tensor("float32", Float32Array.from([3]), [1]) });
    expect(floats(result.doubled)).toEqual([6]);
    expect(floats(result.negated)).toEqual([-6]);
  });

  it("refuses a node or output that reads a value nothing produces", () => {
    const graph = new GraphBuilder();
    graph.input("x", "float32", [1]);
    expect(() => graph.node("Relu", ["y"])).toThrow(
      "node Relu reads 'y', which no graph input, initializer or earlier node produces",
    );
    expect(() => graph.output("y", "float32", [1], "out")).toThrow("graph output 'out' is 'y', which nothing produces");
    // An empty name is an omitted optional input, which ONNX allows.
    expect(graph.node("Clip", ["x", "", ""])).toEqual(["Clip_output"]);
  });

  it("writes the IR version that ai.onnx.ml 3 needs even under an older default opset", () => {
    const graph = new GraphBuilder({ opset: 13 });
    const x = graph.input("x", "float32", ["n", 1]);
    graph.output(graph.node("Normalizer", [x], { norm: "L2" }, { domain: "ai.onnx.ml" })[0]!, "float32", ["n", 1]);
    expect(inspectOnnx(checkedBytes(graph)).irVersion).toBe(8);
  });
});

describe("Transpose folding", () => {
  const node = (opType: string, input: string[], output: string, perm?: number[]): NodeInit => ({
    opType,
    input,
    output: [output],
    name: output,
    attribute: perm ? [{ name: "perm", type: AttributeType.INTS, ints: perm.map(BigInt) }] : [],
  });
  const shape = (nodes: NodeInit[]) =>
    nodes.map((entry) => `${entry.opType}(${entry.input!.join(",")})->${entry.output![0]}`);
  const permOf = (entry: NodeInit) => entry.attribute![0]!.ints!.map(Number);

  it("removes an inverse pair whose middle value nobody else reads", () => {
    const nodes = [
      node("Transpose", ["x"], "a", [0, 2, 3, 1]),
      node("Transpose", ["a"], "b", [0, 3, 1, 2]),
      node("Relu", ["b"], "y"),
    ];
    expect(shape(foldTransposes(nodes, ["y"]))).toEqual(["Relu(x)->y"]);
  });

  it("keeps a pair whose middle value has another reader or is a graph output", () => {
    const nodes = [
      node("Transpose", ["x"], "a", [0, 2, 3, 1]),
      node("Transpose", ["a"], "b", [0, 3, 1, 2]),
      node("Relu", ["b"], "y"),
      node("Sigmoid", ["a"], "z"),
    ];
    expect(foldTransposes(nodes, ["y", "z"])).toEqual(nodes);
    expect(foldTransposes(nodes.slice(0, 3), ["y", "a"])).toEqual(nodes.slice(0, 3));
  });

  it("leaves an Identity where the pair's result is a graph output", () => {
    const nodes = [node("Transpose", ["x"], "a", [1, 0]), node("Transpose", ["a"], "y", [1, 0])];
    expect(shape(foldTransposes(nodes, ["y"]))).toEqual(["Identity(x)->y"]);
  });

  it("merges a pair that is not the identity into one Transpose, and folds chains", () => {
    const pair = [node("Transpose", ["x"], "a", [1, 0, 2]), node("Transpose", ["a"], "y", [0, 2, 1])];
    const merged = foldTransposes(pair, ["y"]);
    expect(shape(merged)).toEqual(["Transpose(x)->y"]);
    expect(permOf(merged[0]!)).toEqual([1, 2, 0]);

    const chain = [
      ...pair.slice(0, 1),
      node("Transpose", ["a"], "b", [0, 2, 1]),
      node("Transpose", ["b"], "y", [2, 0, 1]),
    ];
    expect(shape(foldTransposes(chain, ["y"]))).toEqual(["Identity(x)->y"]);
  });

  it("leaves a Transpose without perm alone (its rank is unknown here)", () => {
    const nodes = [node("Transpose", ["x"], "a"), node("Transpose", ["a"], "y", [1, 0])];
    expect(foldTransposes(nodes, ["y"])).toEqual(nodes);
  });

  it("removes the redundant pair of an NHWC graph without changing its outputs", async () => {
    const plain = await run(checkedBytes(nhwcConv({ reluInNchw: true })), { image });
    const graph = nhwcConv({ reluInNchw: true });
    expect(graph.graphNodes).toHaveLength(6);
    expect(graph.optimize()).toBe(2);
    expect(graph.graphNodes.map((entry) => entry.opType)).toEqual(["Transpose", "Conv", "Relu", "Transpose"]);
    const optimized = await run(checkedBytes(graph), { image });
    expect(floats(optimized.features)).toEqual(floats(plain.features));
    expect(floats(optimized.features)).toEqual(convolved); // all positive, so Relu keeps them
  });

  it("merges a non-inverse pair into one Transpose that computes the same", async () => {
    const build = () => {
      const graph = new GraphBuilder();
      const x = graph.input("x", "float32", [2, 3, 4]);
      const y = transpose(graph, transpose(graph, x, [1n, 0n, 2n]), [0n, 2n, 1n]);
      graph.output(y, "float32", [3, 4, 2], "y");
      return graph;
    };
    const x = new Tensor(
      "float32",
      Float32Array.from({ length: 24 }, (_, index) => index),
      [2, 3, 4],
    );
    const plain = await run(checkedBytes(build()), { x });
    const graph = build();
    expect(graph.optimize()).toBe(1);
    const merged = await run(checkedBytes(graph), { x });
    expect(merged.y!.dims).toEqual([3, 4, 2]);
    expect(floats(merged.y)).toEqual(floats(plain.y));
    // y[i][j][k] = x[k][i][j]: y[0][1] = [x[0][0][1], x[1][0][1]] = [1, 13].
    expect(floats(merged.y).slice(2, 4)).toEqual([1, 13]);
  });
});
