import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countingValues,
  denseLayer,
  kerasArchive,
  readBytes,
  writeKeras2Hdf5,
  writeKeras3Weights,
} from "@/tests/fixtures/keras";
import { allLayers } from "./config";
import { readKerasModel, type KerasLayerWithWeights } from "./read";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), "keras-read-test-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const inFolder = (name: string) => path.join(folder, name);

/** Sequential(Dense 3 → Dropout → Dense 2) on 4 inputs, as tf.keras 2 writes it. */
const denseSequential = {
  class_name: "Sequential",
  config: {
    name: "sequential",
    layers: [
      { class_name: "InputLayer", config: { name: "input_1", batch_input_shape: [null, 4], dtype: "float32" } },
      denseLayer("dense", 3),
      { class_name: "Dropout", config: { name: "dropout", rate: 0.5 } },
      denseLayer("dense_1", 2, { activation: "softmax" }),
    ],
  },
};

const denseSequentialLayers = [
  {
    name: "dense",
    // Stored bias first: the reader must follow weight_names, not the alphabetical order of the group.
    weights: [
      { name: "dense/bias:0", shape: [3], values: countingValues(3, 5) },
      { name: "dense/kernel:0", shape: [4, 3], values: countingValues(12) },
    ],
  },
  { name: "dropout", weights: [] },
  {
    name: "dense_1",
    weights: [
      { name: "dense_1/kernel:0", shape: [3, 2], values: countingValues(6, 1) },
      { name: "dense_1/bias:0", shape: [2], values: countingValues(2, 2) },
    ],
  },
];

async function denseHdf5(name: string, overrides: Partial<Parameters<typeof writeKeras2Hdf5>[1]> = {}) {
  const filePath = inFolder(name);
  await writeKeras2Hdf5(filePath, {
    kerasVersion: "2.11.0",
    backend: "tensorflow",
    modelConfig: denseSequential,
    layers: denseSequentialLayers,
    ...overrides,
  });
  return filePath;
}

function layerNamed(layers: Iterable<KerasLayerWithWeights>, name: string): KerasLayerWithWeights {
  for (const layer of layers) if (layer.name === name) return layer;
  throw new Error(`no layer ${name}`);
}

describe("Keras 2 HDF5 (model.save)", () => {
  it("reads the version, backend, layers and each layer's weights in weight_names order", async () => {
    const file = await readKerasModel(await denseHdf5("dense.h5"));
    expect(file).toMatchObject({ container: "hdf5", kerasVersion: "2.11.0", backend: "tensorflow" });
    expect(file.model.kind).toBe("Sequential");
    expect(file.model.layers.map((layer) => `${layer.className}:${layer.name}`)).toEqual([
      "InputLayer:input_1",
      "Dense:dense",
      "Dropout:dropout",
      "Dense:dense_1",
    ]);
    const dense = layerNamed(file.model.layers, "dense");
    expect(dense.weights.map((weight) => [weight.name, weight.shape])).toEqual([
      ["dense/bias:0", [3]],
      ["dense/kernel:0", [4, 3]],
    ]);
    expect(dense.weights[0]?.values).toEqual(countingValues(3, 5));
    expect(dense.weights[1]?.values).toEqual(countingValues(12));
    expect(dense.weights[1]?.values).toBeInstanceOf(Float32Array);
    expect(layerNamed(file.model.layers, "dropout").weights).toEqual([]);
    expect(layerNamed(file.model.layers, "dense_1").weights[1]?.values).toEqual(countingValues(2, 2));
  });

  it("detects HDF5 by content, whatever the file is called", async () => {
    const h5 = await denseHdf5("really-hdf5.keras");
    const renamed = inFolder("model.bin");
    await writeFile(renamed, await readFile(h5));
    for (const filePath of [h5, renamed]) {
      expect((await readKerasModel(filePath)).container).toBe("hdf5");
    }
  });

  it("refuses a file that is neither HDF5 nor a zip", async () => {
    const filePath = inFolder("notes.h5");
    await writeFile(filePath, "just some text, not a model\n");
    await expect(readKerasModel(filePath)).rejects.toThrow(
      "the file is not a Keras model: it is neither HDF5 (Keras 2 model.save) nor a zip archive (Keras 3 .keras)",
    );
  });

  it("refuses an HDF5 file that is not a saved Keras model", async () => {
    const filePath = await denseHdf5("weights-only.h5", { modelConfig: undefined });
    await expect(readKerasModel(filePath)).rejects.toThrow(
      "the HDF5 file is not a saved Keras model: it has no model_config attribute",
    );
  });

  it("refuses a truncated HDF5 file and keeps reading other files afterwards", async () => {
    const whole = await readFile(await denseHdf5("whole.h5"));
    for (const length of [8, 200, Math.floor(whole.length / 2), whole.length - 1]) {
      const truncated = inFolder(`truncated-${length}.h5`);
      await writeFile(truncated, whole.subarray(0, length));
      await expect(readKerasModel(truncated)).rejects.toThrow("the HDF5 file is damaged or truncated");
    }
    expect((await readKerasModel(await denseHdf5("after.h5"))).model.layers).toHaveLength(4);
  });

  it("refuses Keras 1 files with the version that saved them", async () => {
    const filePath = await denseHdf5("keras1.h5", { kerasVersion: "1.2.2", backend: undefined });
    await expect(readKerasModel(filePath)).rejects.toThrow("Keras 1.x files are not supported (saved by Keras 1.2.2)");
  });

  it("refuses a Lambda layer and a custom class before reading any weight", async () => {
    const withLayer = (layer: unknown) => ({
      class_name: "Sequential",
      config: { name: "s", layers: [denseLayer("dense", 3), layer] },
    });
    const lambda = await denseHdf5("lambda.h5", {
      modelConfig: withLayer({
        class_name: "Lambda",
        config: { name: "lambda_1", function: ["4wEAAAAA", null, null] },
      }),
    });
    await expect(readKerasModel(lambda)).rejects.toThrow(
      "layer 'lambda_1' (Lambda) carries Python code and is refused",
    );
    const custom = await denseHdf5("custom.h5", {
      modelConfig: withLayer({ class_name: "CustomBlock", config: { name: "my_block" } }),
    });
    await expect(readKerasModel(custom)).rejects.toThrow(
      "layer 'my_block' has class 'CustomBlock', which is not a Keras built-in layer",
    );
  });

  it("gives a nested model's weights to its own layers (a Sequential and a Functional inside a Sequential)", async () => {
    const body = {
      class_name: "Functional",
      config: {
        name: "body",
        layers: [
          {
            class_name: "InputLayer",
            name: "body_in",
            config: { name: "body_in", batch_input_shape: [null, 4] },
            inbound_nodes: [],
          },
          { ...denseLayer("conv_like", 3), name: "conv_like", inbound_nodes: [[["body_in", 0, 0, {}]]] },
        ],
        input_layers: [["body_in", 0, 0]],
        output_layers: [["conv_like", 0, 0]],
      },
    };
    const head = { class_name: "Sequential", config: { name: "head", layers: [denseLayer("head_dense", 2)] } };
    const outer = { class_name: "Sequential", config: { name: "outer", layers: [body, head] } };
    const filePath = await denseHdf5("nested.h5", {
      modelConfig: outer,
      layers: [
        {
          name: "body",
          weights: [
            { name: "conv_like/kernel:0", shape: [4, 3], values: countingValues(12) },
            { name: "conv_like/bias:0", shape: [3], values: countingValues(3) },
          ],
        },
        {
          name: "head",
          weights: [
            { name: "head_dense/kernel:0", shape: [3, 2], values: countingValues(6) },
            { name: "head_dense/bias:0", shape: [2], values: countingValues(2) },
          ],
        },
      ],
    });
    const file = await readKerasModel(filePath);
    const layers = [...allLayers(file.model)] as KerasLayerWithWeights[];
    expect(layers.map((layer) => layer.className)).toEqual([
      "Functional",
      "InputLayer",
      "Dense",
      "Sequential",
      "Dense",
    ]);
    expect(layerNamed(layers, "conv_like").weights.map((weight) => weight.shape)).toEqual([[4, 3], [3]]);
    expect(layerNamed(layers, "head_dense").weights.map((weight) => weight.name)).toEqual([
      "head_dense/kernel:0",
      "head_dense/bias:0",
    ]);
    expect(layerNamed(layers, "body").weights).toEqual([]);
  });

  it("refuses weights stored for a layer the config does not have", async () => {
    const filePath = await denseHdf5("stray.h5", {
      layers: [
        ...denseSequentialLayers,
        { name: "ghost", weights: [{ name: "ghost/kernel:0", shape: [1], values: countingValues(1) }] },
      ],
    });
    await expect(readKerasModel(filePath)).rejects.toThrow(
      "the file stores weights for layer 'ghost', which the model config does not have",
    );
  });
});

describe("Keras 3 .keras archive", () => {
  const keras3Config = {
    module: "keras",
    class_name: "Sequential",
    config: {
      name: "sequential",
      layers: [
        {
          module: "keras.layers",
          class_name: "InputLayer",
          config: { name: "input_layer", batch_shape: [null, 2] },
          registered_name: null,
        },
        { module: "keras.layers", ...denseLayer("hidden", 3), registered_name: null },
        {
          module: "keras.layers",
          class_name: "LeakyReLU",
          config: { name: "leaky", negative_slope: 0.2 },
          registered_name: null,
        },
        { module: "keras.layers", ...denseLayer("out", 1), registered_name: null },
      ],
    },
    registered_name: null,
  };
  const metadata = { keras_version: "3.9.2", date_saved: "2025-05-19@18:57:43" };

  async function weightsFile(name: string, folders: Parameters<typeof writeKeras3Weights>[1]) {
    const filePath = inFolder(name);
    await writeKeras3Weights(filePath, folders);
    return readBytes(filePath);
  }

  // Keras 3 names the folders after the classes (dense, dense_1), not after the layers.
  const keras3Weights = () =>
    weightsFile("model.weights.h5", [
      {
        path: "dense",
        weights: [
          { shape: [2, 3], values: countingValues(6) },
          { shape: [3], values: countingValues(3, 1) },
        ],
      },
      {
        path: "dense_1",
        weights: [
          { shape: [3, 1], values: countingValues(3, 2) },
          { shape: [1], values: countingValues(1, 3) },
        ],
      },
    ]);

  async function archiveFile(name: string, entries: Record<string, unknown>) {
    const filePath = inFolder(name);
    await writeFile(filePath, await kerasArchive(entries));
    return filePath;
  }

  it("reads config.json, metadata.json and the layers/<class>/vars weights", async () => {
    const filePath = await archiveFile("model.keras", {
      "metadata.json": metadata,
      "config.json": keras3Config,
      "model.weights.h5": await keras3Weights(),
    });
    const file = await readKerasModel(filePath);
    expect(file).toMatchObject({ container: "keras-zip", kerasVersion: "3.9.2", backend: null });
    const hidden = layerNamed(file.model.layers, "hidden");
    expect(hidden.weights.map((weight) => weight.shape)).toEqual([[2, 3], [3]]);
    expect(hidden.weights[0]?.values).toEqual(countingValues(6));
    expect(layerNamed(file.model.layers, "out").weights[1]?.values).toEqual(countingValues(1, 3));
    expect(layerNamed(file.model.layers, "leaky").weights).toEqual([]);
  });

  it("refuses an archive without model.weights.h5, and weights that match no layer", async () => {
    const missing = await archiveFile("no-weights.keras", { "metadata.json": metadata, "config.json": keras3Config });
    await expect(readKerasModel(missing)).rejects.toThrow("the .keras archive has no model.weights.h5");
    const stray = await archiveFile("stray.keras", {
      "metadata.json": metadata,
      "config.json": keras3Config,
      "model.weights.h5": await weightsFile("stray.weights.h5", [
        { path: "dense", weights: [{ shape: [2, 3], values: countingValues(6) }] },
        { path: "conv2d", weights: [{ shape: [1], values: countingValues(1) }] },
      ]),
    });
    await expect(readKerasModel(stray)).rejects.toThrow("model.weights.h5 stores weights at layers/conv2d");
  });

  it("refuses objects from outside Keras: a module or a registered custom name", async () => {
    const withLayer = (layer: unknown) => ({
      ...keras3Config,
      config: { ...keras3Config.config, layers: [...keras3Config.config.layers, layer] },
    });
    const foreignModule = await archiveFile("foreign-module.keras", {
      "metadata.json": metadata,
      "config.json": withLayer({ module: "evil.layers", class_name: "Dense", config: { name: "trojan", units: 1 } }),
      "model.weights.h5": await keras3Weights(),
    });
    await expect(readKerasModel(foreignModule)).rejects.toThrow(
      "layer 'trojan' uses 'Dense' from module 'evil.layers', which is not part of Keras",
    );
    const foreignInitializer = await archiveFile("foreign-initializer.keras", {
      "metadata.json": metadata,
      "config.json": withLayer({
        module: "keras.layers",
        ...denseLayer("dense_x", 1, {
          kernel_initializer: {
            module: "my_package.init",
            class_name: "MyInit",
            config: {},
            registered_name: "MyInit",
          },
        }),
      }),
      "model.weights.h5": await keras3Weights(),
    });
    await expect(readKerasModel(foreignInitializer)).rejects.toThrow(
      "layer 'dense_x' uses 'MyInit' from module 'my_package.init', which is not part of Keras",
    );
    const registered = await archiveFile("registered.keras", {
      "metadata.json": metadata,
      "config.json": withLayer({
        module: "keras.layers",
        ...denseLayer("dense_y", 1),
        registered_name: "Custom>Dense",
      }),
      "model.weights.h5": await keras3Weights(),
    });
    await expect(readKerasModel(registered)).rejects.toThrow(
      "layer 'dense_y' uses 'Custom>Dense', a registered custom object that is not part of Keras",
    );
  });

  it("refuses a zip-slip entry name", async () => {
    for (const name of ["../config.json", "assets/../../etc/passwd", "/abs.txt", "assets\\..\\x"]) {
      const filePath = await archiveFile("slip.keras", {
        "metadata.json": metadata,
        "config.json": keras3Config,
        [name]: "x",
      });
      await expect(readKerasModel(filePath)).rejects.toThrow(
        `the archive has an entry named '${name}', which points outside the archive`,
      );
    }
  });

  it("stops a zip bomb at the entry, total and entry-count limits", async () => {
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const bomb = await kerasArchive({
      "metadata.json": metadata,
      "config.json": keras3Config,
      "assets/zeros.bin": zeros,
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const filePath = inFolder("bomb.keras");
    await writeFile(filePath, bomb);
    const limits = { maxEntries: 64, maxEntryBytes: 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024 };
    await expect(readKerasModel(filePath, limits)).rejects.toThrow(
      "the archive entry 'assets/zeros.bin' unpacks to more than 1 MiB, the limit for one entry",
    );
    await expect(
      readKerasModel(filePath, { ...limits, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 }),
    ).rejects.toThrow("the archive unpacks to more than 2 MiB in all");
    const many = await archiveFile(
      "many.keras",
      Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`assets/${i}.txt`, "x"])),
    );
    await expect(readKerasModel(many)).rejects.toThrow("the archive has more than 64 entries");
  });
});
