import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { constantModel, misencodedFieldAttribute, repeatedFieldAttribute } from "@/tests/fixtures/external-data";
import { buildMlp, mulberry32, randomMlpLayers, tensorValueInfo } from "./build";
import { OnnxModelError } from "./errors";
import { inspectOnnx, type OnnxInspection } from "./inspect";
import {
  AttributeType,
  DataLocation,
  DataType,
  decodeModel,
  encodeModel,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  ValueInfoProtoSchema,
  type AttributeInit,
  type GraphInit,
  type ModelInit,
  type NodeInit,
  type SparseTensorInit,
  type TensorInit,
  type ValueInfoInit,
} from "./proto";
import { FIXTURE_MODELS } from "@/tests/fixtures/paths";

const MODELS_DIR = FIXTURE_MODELS;
const readModel = (file: string) => new Uint8Array(readFileSync(path.join(MODELS_DIR, file)));

/** Parameters of a stack of dense layers: weights plus biases. */
const denseParameters = (sizes: number[]) =>
  sizes.slice(1).reduce((total, outFeatures, index) => total + sizes[index]! * outFeatures + outFeatures, 0);

const smallMlp = () =>
  buildMlp({
    inputName: "x",
    outputName: "y",
    layers: randomMlpLayers([4, 3, 2], 5),
    activation: "relu",
    softmaxOutput: true,
  });

function expectModelError(run: () => unknown, message: string | RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(OnnxModelError);
  if (typeof message === "string") expect((thrown as Error).message).toBe(message);
  else expect((thrown as Error).message).toMatch(message);
}

describe("inspectOnnx on the shared models", () => {
  it("reads the digits MLP (64 → 128 → 64 → 10, PyTorch export)", () => {
    expect(inspectOnnx(readModel("digits_mlp.onnx"))).toEqual<OnnxInspection>({
      irVersion: 8,
      opset: 17,
      opsetImports: [{ domain: "", version: 17 }],
      producerName: "pytorch",
      producerVersion: "2.11.0",
      graphName: "main_graph",
      inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
      outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
      parameterCount: denseParameters([64, 128, 64, 10]),
      nodeCount: 5,
      operators: { Gemm: 3, Relu: 2 },
    });
  });

  it("reads the breast-cancer MLP (standardisation, 30 → 32 → 2 with tanh)", () => {
    const inspection = inspectOnnx(readModel("breast_cancer_mlp.onnx"));
    expect(inspection.inputs).toEqual([{ name: "input", dtype: "float32", shape: ["batch", 30] }]);
    expect(inspection.outputs).toEqual([{ name: "output", dtype: "float32", shape: ["batch", 2] }]);
    expect(inspection.opset).toBe(17);
    // mean and standard deviation vectors (30 each), then two dense layers
    expect(inspection.parameterCount).toBe(30 + 30 + denseParameters([30, 32, 2]));
    expect(inspection.operators).toEqual({ Sub: 1, Div: 1, Gemm: 2, Tanh: 1 });
  });
});

describe("inspectOnnx refuses unusable files", () => {
  it("explains a truncated file", () => {
    const digits = readModel("digits_mlp.onnx");
    const half = digits.subarray(0, Math.floor(digits.length / 2));
    expectModelError(
      () => inspectOnnx(half),
      new RegExp(
        `^the file is truncated or is not an ONNX protobuf: it ends after ${half.length} bytes where at least \\d+ were expected$`,
      ),
    );
  });

  it("refuses random bytes", () => {
    const random = mulberry32(42);
    const noise = Uint8Array.from({ length: 10_000 }, () => Math.floor(random() * 256));
    expectModelError(
      () => inspectOnnx(noise),
      /^(the file is truncated or is not an ONNX protobuf: |not an ONNX model: the file has no graph)/,
    );
  });

  it("refuses a protobuf without a graph", () => {
    expectModelError(() => inspectOnnx(encodeModel({ irVersion: 8n })), "not an ONNX model: the file has no graph");
  });

  it("refuses a model without ir_version", () => {
    const model = decodeModel(smallMlp());
    model.irVersion = 0n;
    expectModelError(() => inspectOnnx(encodeModel(model)), /^not a valid ONNX model: ir_version is missing/);
  });

  it("refuses weights stored in external data files", () => {
    const model = decodeModel(smallMlp());
    const weight = model.graph!.initializer[0]!;
    weight.rawData = new Uint8Array();
    weight.dataLocation = DataLocation.EXTERNAL;
    weight.externalData = [
      create(StringStringEntryProtoSchema, { key: "location", value: "weights.bin" }),
      create(StringStringEntryProtoSchema, { key: "offset", value: "0" }),
    ];
    expectModelError(
      () => inspectOnnx(encodeModel(model)),
      "the model stores weights in external data files (weights.bin), which cannot be uploaded as a single file; " +
        "re-export it with all weights inside the .onnx file",
    );
  });
});

describe("inspectOnnx details", () => {
  it("does not list initializers that are also graph inputs (IR < 4 style) as model inputs", () => {
    const model = decodeModel(smallMlp());
    const graph = model.graph!;
    graph.input.push(
      ...graph.initializer.map((tensor) => create(ValueInfoProtoSchema, tensorValueInfo(tensor.name, tensor.dataType))),
    );
    model.irVersion = 3n;
    const inspection = inspectOnnx(encodeModel(model));
    expect(inspection.inputs.map((input) => input.name)).toEqual(["x"]);
    expect(inspection.parameterCount).toBe(denseParameters([4, 3, 2]));
  });

  it("names dtypes numpy-style and marks unknown dims and ranks", () => {
    const { INT64, BOOL, FLOAT16, STRING } = DataType;
    const model = decodeModel(smallMlp());
    const tokens: ValueInfoInit = {
      name: "tokens",
      type: {
        value: {
          case: "sequenceType",
          value: { elemType: { value: { case: "tensorType", value: { elemType: STRING } } } },
        },
      },
    };
    model.graph!.input = [
      tensorValueInfo("ids", INT64, ["n", null, 3]),
      tensorValueInfo("mask", BOOL),
      tensorValueInfo("half", FLOAT16, []),
      tokens,
    ].map((input) => create(ValueInfoProtoSchema, input));
    model.opsetImport = [create(OperatorSetIdProtoSchema, { domain: "com.microsoft", version: 1n })];
    model.graph!.node[0]!.domain = "com.microsoft";
    const inspection = inspectOnnx(encodeModel(model));
    expect(inspection.inputs).toEqual([
      { name: "ids", dtype: "int64", shape: ["n", "?", 3] },
      { name: "mask", dtype: "bool", shape: ["..."] },
      { name: "half", dtype: "float16", shape: [] },
      { name: "tokens", dtype: "sequence<string>", shape: ["..."] },
    ]);
    expect(inspection.opset).toBeNull();
    expect(inspection.operators).toEqual({ "com.microsoft:Gemm": 1, Relu: 1, Gemm: 1, Softmax: 1 });
  });
});

describe("inspectOnnx refuses external data wherever onnxruntime could find a tensor", () => {
  const external = (name: string): TensorInit => ({
    name,
    dims: [8n],
    dataType: DataType.UINT8,
    dataLocation: DataLocation.EXTERNAL,
    externalData: [{ key: "location", value: "weights.bin" }],
  });
  const sparse = (part: "values" | "indices"): SparseTensorInit => ({
    dims: [8n],
    values:
      part === "values"
        ? external("s")
        : { name: "s", dims: [1n], dataType: DataType.UINT8, rawData: new Uint8Array(1) },
    indices: part === "indices" ? external("i") : { dims: [1n], dataType: DataType.INT64, int64Data: [0n] },
  });
  const constant = (attribute: AttributeInit): NodeInit => ({
    opType: "Constant",
    output: ["c"],
    attribute: [attribute],
  });
  const { TENSOR, TENSORS, SPARSE_TENSOR, SPARSE_TENSORS, GRAPH } = AttributeType;
  /** A graph that reads x and returns it, plus `nodes` and `initializer`. */
  const graphWith = (parts: Partial<GraphInit>): GraphInit => ({
    name: "g",
    input: [tensorValueInfo("x", DataType.FLOAT, [1])],
    output: [tensorValueInfo("x", DataType.FLOAT, [1])],
    ...parts,
  });
  const nested = (depth: number, inner: NodeInit): NodeInit =>
    depth === 0
      ? inner
      : {
          opType: "If",
          input: ["x"],
          output: [`o${depth}`],
          attribute: [{ name: "then_branch", type: GRAPH, g: graphWith({ node: [nested(depth - 1, inner)] }) }],
        };
  const cases: [string, ModelInit][] = [
    ["an initializer", { graph: graphWith({ initializer: [external("w")] }) }],
    ["a sparse initializer's values", { graph: graphWith({ sparseInitializer: [sparse("values")] }) }],
    ["a sparse initializer's indices", { graph: graphWith({ sparseInitializer: [sparse("indices")] }) }],
    [
      "a Constant's tensor",
      { graph: graphWith({ node: [constant({ name: "value", type: TENSOR, t: external("t") })] }) },
    ],
    [
      "a tensors attribute",
      { graph: graphWith({ node: [constant({ name: "list", type: TENSORS, tensors: [external("t")] })] }) },
    ],
    [
      "a Constant's sparse tensor",
      {
        graph: graphWith({
          node: [constant({ name: "sparse_value", type: SPARSE_TENSOR, sparseTensor: sparse("values") })],
        }),
      },
    ],
    [
      "a sparse tensors attribute",
      {
        graph: graphWith({
          node: [constant({ name: "list", type: SPARSE_TENSORS, sparseTensors: [sparse("indices")] })],
        }),
      },
    ],
    [
      "a subgraph three levels down",
      { graph: graphWith({ node: [nested(3, constant({ name: "value", type: TENSOR, t: external("t") }))] }) },
    ],
    [
      "a function's body",
      {
        graph: graphWith({}),
        functions: [
          { name: "f", domain: "local", node: [constant({ name: "value", type: TENSOR, t: external("t") })] },
        ],
      },
    ],
    [
      "a function's attribute default",
      {
        graph: graphWith({}),
        functions: [{ name: "f", domain: "local", attributeProto: [{ name: "a", type: TENSOR, t: external("t") }] }],
      },
    ],
    [
      "a training graph",
      { graph: graphWith({}), trainingInfo: [{ initialization: graphWith({ initializer: [external("w")] }) }] },
    ],
  ];

  it.each(cases)("in %s", (_where, model) => {
    expectModelError(
      () => inspectOnnx(encodeModel({ irVersion: 8n, opsetImport: [{ version: 17n }], ...model })),
      /^the model stores weights in external data files \(weights\.bin\)/,
    );
  });

  it("whether the tensor says EXTERNAL or only lists external data entries", () => {
    const entriesOnly: TensorInit = { ...external("w"), dataLocation: DataLocation.DEFAULT };
    const locationOnly: TensorInit = { ...external("w"), externalData: [] };
    for (const [tensor, shown] of [
      [entriesOnly, "weights.bin"],
      [locationOnly, "unnamed"],
    ] as const) {
      expectModelError(
        () => inspectOnnx(encodeModel({ irVersion: 8n, graph: graphWith({ initializer: [tensor] }) })),
        `the model stores weights in external data files (${shown}), which cannot be uploaded as a single file; ` +
          "re-export it with all weights inside the .onnx file",
      );
    }
  });

  it("names the file by its last part only, never a path", () => {
    for (const location of ["/etc/passwd", "../../secrets/passwd", "sub\\dir\\passwd"]) {
      const tensor: TensorInit = { ...external("w"), externalData: [{ key: "location", value: location }] };
      expectModelError(
        () => inspectOnnx(encodeModel({ irVersion: 8n, graph: graphWith({ initializer: [tensor] }) })),
        /^the model stores weights in external data files \(passwd\),/,
      );
    }
  });

  it.each([
    [
      "repeated, the first copy pointing at external data",
      repeatedFieldAttribute,
      /^the model stores weights in external data files \(0a1b2c\)/,
    ],
    [
      "sent with another wire type",
      misencodedFieldAttribute,
      /^the file is truncated or is not an ONNX protobuf: field 't' of AttributeProto at byte \d+ is a varint, where onnx\.proto declares a length-delimited value$/,
    ],
  ])("in a Constant whose tensor field is %s", (_how, attribute, message) => {
    expectModelError(() => inspectOnnx(constantModel(attribute("0a1b2c"))), message);
  });
});
