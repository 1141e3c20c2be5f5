import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { buildMlp, randomMlpLayers, tensorValueInfo } from "./build";
import { checkGraph } from "./check";
import { OnnxModelError } from "./errors";
import {
  AttributeType,
  DataType,
  decodeModel,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  ValueInfoProtoSchema,
  type GraphInit,
  type ModelProto,
  type NodeInit,
} from "./proto";
import { FIXTURE_MODELS } from "@/tests/fixtures/paths";

const MODELS_DIR = FIXTURE_MODELS;

/** x → layer0/Gemm → layer0/Relu → layer1/Gemm → Softmax → y */
const mlpModel = (): ModelProto =>
  decodeModel(
    buildMlp({
      inputName: "x",
      outputName: "y",
      layers: randomMlpLayers([4, 3, 2], 1),
      activation: "relu",
      softmaxOutput: true,
    }),
  );

function expectInvalid(model: ModelProto, detail: string): void {
  expect(() => checkGraph(model)).toThrow(OnnxModelError);
  expect(() => checkGraph(model)).toThrow(new OnnxModelError(`the ONNX graph is invalid: ${detail}`));
}

const floatOutput = (name: string) => create(ValueInfoProtoSchema, tensorValueInfo(name, DataType.FLOAT));

describe("checkGraph", () => {
  it.each(["digits_mlp.onnx", "breast_cancer_mlp.onnx"])("accepts the shared model %s", (file) => {
    expect(() => checkGraph(decodeModel(readFileSync(path.join(MODELS_DIR, file))))).not.toThrow();
  });

  it("accepts a built MLP", () => {
    expect(() => checkGraph(mlpModel())).not.toThrow();
  });

  it("names the node and the missing value when an initializer is gone", () => {
    const model = mlpModel();
    model.graph!.initializer = model.graph!.initializer.filter((tensor) => tensor.name !== "layer0.weight");
    expectInvalid(model, "node 0 (Gemm) has no input 'layer0.weight'");
  });

  it("notices a renamed graph input", () => {
    const model = mlpModel();
    model.graph!.input[0]!.name = "features";
    expectInvalid(model, "node 0 (Gemm) has no input 'x'");
  });

  it("requires nodes in topological order", () => {
    const model = mlpModel();
    const nodes = model.graph!.node;
    [nodes[0], nodes[1]] = [nodes[1]!, nodes[0]!];
    expectInvalid(model, "node 0 (Relu) has no input 'layer0/Gemm_output'");
  });

  it("ignores omitted optional inputs", () => {
    const model = mlpModel();
    model.graph!.node[0]!.input.push("");
    expect(() => checkGraph(model)).not.toThrow();
  });

  it("refuses a value with two producers", () => {
    const model = mlpModel();
    model.graph!.node[1]!.output = ["layer0/Gemm_output"];
    expectInvalid(model, "node 1 (Relu) produces 'layer0/Gemm_output', which is already produced by node 0 (Gemm)");
  });

  it("refuses a node that overwrites an initializer", () => {
    const model = mlpModel();
    model.graph!.node[1]!.output = ["layer1.bias"];
    expectInvalid(model, "node 1 (Relu) produces 'layer1.bias', which is already an initializer");
  });

  it("refuses a graph without outputs, an unproduced output and a node without op_type", () => {
    const noOutputs = mlpModel();
    noOutputs.graph!.output = [];
    expectInvalid(noOutputs, "the graph has no outputs");

    const unproduced = mlpModel();
    unproduced.graph!.output.push(floatOutput("logits"));
    expectInvalid(unproduced, "graph output 'logits' is not produced by any node");

    const noOpType = mlpModel();
    noOpType.graph!.node[2]!.opType = "";
    expectInvalid(noOpType, "node 2 has no op_type");
  });

  it("lets subgraphs read outer values and reports missing ones with their location", () => {
    const model = mlpModel();
    const graph = model.graph!;
    graph.input.push(create(ValueInfoProtoSchema, tensorValueInfo("condition", DataType.BOOL, [])));
    const branch = (reads: string, output: string): GraphInit => ({
      name: output,
      node: [{ opType: "Identity", input: [reads], output: [output] }],
      output: [tensorValueInfo(output, DataType.FLOAT)],
    });
    const { GRAPH } = AttributeType;
    const ifNode = create(NodeProtoSchema, {
      opType: "If",
      input: ["condition"],
      output: ["chosen"],
      attribute: [
        { name: "then_branch", type: GRAPH, g: branch("y", "then_out") },
        { name: "else_branch", type: GRAPH, g: branch("x", "else_out") },
      ],
    });
    graph.node.push(ifNode);
    graph.output.push(floatOutput("chosen"));
    expect(() => checkGraph(model)).not.toThrow();

    ifNode.attribute[1]!.g = create(GraphProtoSchema, branch("nowhere", "else_out"));
    expectInvalid(model, "node 0 (Identity) in the 'else_branch' subgraph of node 4 (If) has no input 'nowhere'");
  });

  it("checks a 50 000-node graph quickly", () => {
    const nodeCount = 50_000;
    const node = Array.from({ length: nodeCount }, (_, index): NodeInit => ({
      opType: "Relu",
      input: [index === 0 ? "x" : `v${index - 1}`],
      output: [`v${index}`],
    }));
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      graph: { node, input: [floatOutput("x")], output: [floatOutput(`v${nodeCount - 1}`)] },
    });
    const started = performance.now();
    checkGraph(model);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
