import { describe, expect, it } from "vitest";
import { allLayers, parseModel } from "./config";

const keras3Tensor = (layer: string, node = 0, tensor = 0) => ({
  class_name: "__keras_tensor__",
  config: { shape: [null, 4], dtype: "float32", keras_history: [layer, node, tensor] },
});

/** Two inputs, a Dense on each and their sum: in the Keras 2 list form of inbound_nodes. */
const keras2Functional = {
  class_name: "Model",
  config: {
    name: "two_inputs",
    layers: [
      { class_name: "InputLayer", name: "a", config: { name: "a", batch_input_shape: [null, 4] }, inbound_nodes: [] },
      { class_name: "InputLayer", name: "b", config: { name: "b", batch_input_shape: [null, 4] }, inbound_nodes: [] },
      {
        class_name: "Dense",
        name: "shared",
        config: { name: "shared", units: 4 },
        inbound_nodes: [[["a", 0, 0, {}]], [["b", 0, 0, {}]]],
      },
      {
        class_name: "Add",
        name: "sum",
        config: { name: "sum" },
        inbound_nodes: [
          [
            ["shared", 0, 0, {}],
            ["shared", 1, 0, {}],
          ],
        ],
      },
    ],
    input_layers: [
      ["a", 0, 0],
      ["b", 0, 0],
    ],
    output_layers: [["sum", 0, 0]],
  },
};

/** The same model as Keras 3 writes it: dict-form nodes, a list of tensors as Add's argument. */
const keras3Functional = {
  module: "keras.src.models.functional",
  class_name: "Functional",
  config: {
    name: "two_inputs",
    layers: [
      {
        module: "keras.layers",
        class_name: "InputLayer",
        name: "a",
        config: { name: "a", batch_shape: [null, 4] },
        inbound_nodes: [],
        registered_name: null,
      },
      {
        module: "keras.layers",
        class_name: "InputLayer",
        name: "b",
        config: { name: "b", batch_shape: [null, 4] },
        inbound_nodes: [],
        registered_name: null,
      },
      {
        module: "keras.layers",
        class_name: "Dense",
        name: "shared",
        config: { name: "shared", units: 4 },
        registered_name: null,
        inbound_nodes: [
          { args: [keras3Tensor("a")], kwargs: {} },
          { args: [keras3Tensor("b")], kwargs: {} },
        ],
      },
      {
        module: "keras.layers",
        class_name: "Add",
        name: "sum",
        config: { name: "sum" },
        registered_name: null,
        inbound_nodes: [{ args: [[keras3Tensor("shared", 0), keras3Tensor("shared", 1)]], kwargs: {} }],
      },
    ],
    input_layers: [
      ["a", 0, 0],
      ["b", 0, 0],
    ],
    output_layers: ["sum", 0, 0],
  },
  registered_name: null,
};

describe("parseModel", () => {
  it("reads Functional inbound nodes in the Keras 2 list form and the Keras 3 dict form alike", () => {
    for (const config of [keras2Functional, keras3Functional]) {
      const model = parseModel(config);
      expect(model.kind).toBe("Functional");
      expect(model.inputs.map((ref) => ref.layer)).toEqual(["a", "b"]);
      expect(model.outputs).toEqual([{ layer: "sum", nodeIndex: 0, tensorIndex: 0 }]);
      const byName = new Map(model.layers.map((layer) => [layer.name, layer]));
      expect(byName.get("shared")?.inboundNodes).toEqual([
        [{ layer: "a", nodeIndex: 0, tensorIndex: 0 }],
        [{ layer: "b", nodeIndex: 0, tensorIndex: 0 }],
      ]);
      expect(byName.get("sum")?.inboundNodes).toEqual([
        [
          { layer: "shared", nodeIndex: 0, tensorIndex: 0 },
          { layer: "shared", nodeIndex: 1, tensorIndex: 0 },
        ],
      ]);
    }
  });

  it("reads the Keras 2.0-2.2 Sequential, whose config is the list of layers", () => {
    const model = parseModel({
      class_name: "Sequential",
      config: [{ class_name: "Dense", config: { name: "d", units: 1 } }],
    });
    expect(model.layers.map((layer) => layer.name)).toEqual(["d"]);
  });

  it("walks a Sequential inside a Sequential and the layer a wrapper holds", () => {
    const model = parseModel({
      class_name: "Sequential",
      config: {
        name: "outer",
        layers: [
          {
            class_name: "Sequential",
            config: { name: "inner", layers: [{ class_name: "Dense", config: { name: "d", units: 2 } }] },
          },
          {
            class_name: "TimeDistributed",
            config: { name: "td", layer: { class_name: "Dense", config: { name: "d2", units: 3 } } },
          },
        ],
      },
    });
    expect([...allLayers(model)].map((layer) => `${layer.className}:${layer.name}`)).toEqual([
      "Sequential:inner",
      "Dense:d",
      "TimeDistributed:td",
      "Dense:d2",
    ]);
  });

  it("refuses code and custom classes wherever they are nested", () => {
    const inSequential = (layer: unknown) => ({
      class_name: "Sequential",
      config: { name: "outer", layers: [{ class_name: "Sequential", config: { name: "inner", layers: [layer] } }] },
    });
    expect(() => parseModel(inSequential({ class_name: "Lambda", config: { name: "lambda_1" } }))).toThrow(
      "layer 'lambda_1' (Lambda) carries Python code and is refused",
    );
    expect(() =>
      parseModel(
        inSequential({
          class_name: "Bidirectional",
          config: { name: "bi", layer: { class_name: "CustomBlock", config: { name: "my_block" } } },
        }),
      ),
    ).toThrow("layer 'my_block' has class 'CustomBlock', which is not a Keras built-in layer");
    expect(() => parseModel({ class_name: "MyModel", config: { layers: [] } })).toThrow(
      "the model config has class 'MyModel', not a Sequential or Functional model",
    );
  });

  it("refuses a Functional model that refers to a layer it does not have", () => {
    const broken = structuredClone(keras2Functional);
    broken.config.output_layers = [["missing", 0, 0]];
    expect(() => parseModel(broken)).toThrow(
      "model 'two_inputs': output_layers refers to layer 'missing', which it does not have",
    );
  });
});
