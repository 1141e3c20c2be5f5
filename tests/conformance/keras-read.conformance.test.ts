/**
 * Real Keras files (read from TESTDATA_DIR's keras folder, as MANIFEST.md lists them): each is read
 * by content, with the Keras version, top class, input shape and layer classes MANIFEST.md gives,
 * and every layer's weights have the shapes its config implies. The Keras 1 file is refused.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { allLayers, type KerasModelGraph } from "@/lib/convert/keras/config";
import { readKerasModel, type KerasLayerWithWeights } from "@/lib/convert/keras/read";
import { describeConformance, TESTDATA_DIR } from "@/tests/support/conformance";

interface ManifestRow {
  file: string;
  kerasVersion: string;
  backend: string;
  topClass: string;
  inputShapes: (number | null)[][];
  layerClasses: Map<string, number>;
}

/** The model table of MANIFEST.md's `## keras/` section, by its column names. */
function manifestRows(): ManifestRow[] {
  const manifest = path.join(TESTDATA_DIR, "MANIFEST.md");
  if (!existsSync(manifest)) return [];
  const section =
    readFileSync(manifest, "utf8")
      .split(/^## /m)
      .find((part) => part.startsWith("keras/")) ?? "";
  const lines = section.split("\n").filter((line) => line.startsWith("|"));
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
  const header = cells(lines[0] ?? "");
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`MANIFEST.md's keras table has no column '${name}'`);
    return index;
  };
  const [file, version, backend, topClass, inputs, classes] = [
    "file",
    "keras_version",
    "backend",
    "top class",
    "input shape(s)",
    "layer classes (count)",
  ].map(column) as [number, number, number, number, number, number];
  const rows: ManifestRow[] = [];
  for (const line of lines.slice(2)) {
    const row = cells(line);
    // The model table ends where the companion-file table (a different header) begins.
    if (row.length !== header.length) break;
    rows.push({
      file: row[file] ?? "",
      kerasVersion: row[version] ?? "",
      backend: row[backend] ?? "",
      topClass: row[topClass] ?? "",
      inputShapes: JSON.parse((row[inputs] ?? "").replaceAll("None", "null")) as (number | null)[][],
      layerClasses: new Map(
        (row[classes] ?? "").split(",").map((entry) => {
          const match = /^(\w+)(?: \(wrapped\))? x(\d+)$/.exec(entry.trim());
          if (!match?.[1] || !match[2]) throw new Error(`MANIFEST.md: cannot read layer count '${entry}'`);
          return [match[1], Number(match[2])] as const;
        }),
      ),
    });
  }
  return rows;
}

/** A weight shape a config implies: numbers are fixed, names must agree wherever they recur, null is free. */
type Dim = number | string | null;

const WEIGHTLESS = new Set([
  "InputLayer",
  "Dropout",
  "Flatten",
  "Activation",
  "MaxPooling1D",
  "MaxPooling2D",
  "Add",
  "GlobalAveragePooling1D",
  "GlobalAveragePooling2D",
  "ZeroPadding2D",
  "ReLU",
  "LeakyReLU",
  "Sequential",
  "Functional",
  "Model",
]);

function kernelSize(config: Record<string, unknown>, rank: number): number[] {
  const size = config.kernel_size;
  return Array.isArray(size) ? size.map(Number) : Array.from({ length: rank }, () => Number(size));
}

/** The shapes Keras gives a layer's variables, in the order it stores them, from its config alone. */
function impliedShapes(className: string, config: Record<string, unknown>): Dim[][] {
  const bias = (shape: Dim[]): Dim[][] => (config.use_bias === false ? [] : [shape]);
  const units = Number(config.units);
  const filters = Number(config.filters);
  switch (className) {
    case "Dense":
      return [["in", units], ...bias([units])];
    case "Conv1D":
      return [[...kernelSize(config, 1), "in", filters], ...bias([filters])];
    case "Conv2D":
      return [[...kernelSize(config, 2), "in", filters], ...bias([filters])];
    case "DepthwiseConv2D":
      return [[...kernelSize(config, 2), "in", Number(config.depth_multiplier ?? 1)], ...bias([null])];
    case "SeparableConv2D": {
      const multiplier = Number(config.depth_multiplier ?? 1);
      return [[...kernelSize(config, 2), "in", multiplier], [1, 1, null, filters], ...bias([filters])];
    }
    case "BatchNormalization":
      return [...(config.scale === false ? [] : [["C"]]), ...(config.center === false ? [] : [["C"]]), ["C"], ["C"]];
    case "Embedding":
      return [[Number(config.input_dim), Number(config.output_dim)]];
    case "SimpleRNN":
      return [["in", units], [units, units], ...bias([units])];
    case "LSTM":
      return [["in", 4 * units], [units, 4 * units], ...bias([4 * units])];
    case "GRU":
      return [
        ["in", 3 * units],
        [units, 3 * units],
        ...bias(config.reset_after === true ? [2, 3 * units] : [3 * units]),
      ];
    default:
      if (WEIGHTLESS.has(className)) return [];
      throw new Error(`no weight shape rule for class ${className}`);
  }
}

function expectedShapes(layer: KerasLayerWithWeights): Dim[][] {
  if (layer.wrapped) {
    const inner = impliedShapes(layer.wrapped.className, layer.wrapped.config);
    // Bidirectional keeps a forward and a backward copy of the wrapped layer's variables.
    return layer.className === "Bidirectional" ? [...inner, ...inner] : inner;
  }
  return impliedShapes(layer.className, layer.config);
}

function expectShapes(layer: KerasLayerWithWeights): void {
  const expected = expectedShapes(layer);
  const actual = layer.weights.map((weight) => weight.shape);
  const context = `layer '${layer.name}' (${layer.className})`;
  expect(actual.length, `${context}: number of weights`).toBe(expected.length);
  const bound = new Map<string, number>();
  expected.forEach((shape, i) => {
    const got = actual[i] ?? [];
    expect(got.length, `${context}: rank of weight ${i}`).toBe(shape.length);
    shape.forEach((dim, d) => {
      const value = got[d] ?? -1;
      expect(value, `${context}: weight ${i} dim ${d}`).toBeGreaterThan(0);
      if (typeof dim === "number") expect(value, `${context}: weight ${i} dim ${d}`).toBe(dim);
      if (typeof dim === "string") {
        expect(value, `${context}: weight ${i} dim ${d} (${dim})`).toBe(bound.get(dim) ?? value);
        bound.set(dim, value);
      }
    });
  });
  for (const weight of layer.weights) {
    expect(weight.values.length, `${context}: ${weight.name} holds one value per element`).toBe(
      weight.shape.reduce((a, b) => a * b, 1),
    );
  }
}

/** `batch_input_shape` (Keras 2) or `batch_shape` (Keras 3) of the model's input layer(s). */
function inputShapes(model: KerasModelGraph): unknown[] {
  const shapeOf = (config: Record<string, unknown>) => config.batch_input_shape ?? config.batch_shape;
  if (model.kind === "Functional") {
    return model.inputs.map((ref) => shapeOf(model.layers.find((layer) => layer.name === ref.layer)?.config ?? {}));
  }
  const first = model.layers[0];
  if (!first) return [];
  return first.model ? inputShapes(first.model) : [shapeOf(first.config)];
}

describeConformance("Keras files are read with their layers and weights", "keras", (dir) => {
  const rows = manifestRows();

  it("MANIFEST.md lists the Keras model files", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  for (const row of rows) {
    const filePath = path.join(dir, row.file);
    if (row.kerasVersion.startsWith("1.")) {
      it(`${row.file} (Keras ${row.kerasVersion}) is refused`, async () => {
        await expect(readKerasModel(filePath)).rejects.toThrow(
          `Keras 1.x files are not supported (saved by Keras ${row.kerasVersion})`,
        );
      });
      continue;
    }
    it(`${row.file}: Keras ${row.kerasVersion} ${row.topClass}, layers and weight shapes`, async () => {
      const file = await readKerasModel(filePath);
      expect(file.kerasVersion).toBe(row.kerasVersion);
      expect(file.backend).toBe(row.backend === "tensorflow" ? "tensorflow" : null);
      expect(file.model.className).toBe(row.topClass);
      expect(inputShapes(file.model)).toEqual(row.inputShapes);
      const layers = [...allLayers(file.model)] as KerasLayerWithWeights[];
      const counts = new Map<string, number>();
      for (const layer of layers) counts.set(layer.className, (counts.get(layer.className) ?? 0) + 1);
      expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(row.layerClasses));
      // Wrapped layers' variables are the wrapper's (Keras stores them under its name).
      const wrapped = new Set(layers.map((layer) => layer.wrapped));
      for (const layer of layers) if (!wrapped.has(layer)) expectShapes(layer);
    });
  }
});
