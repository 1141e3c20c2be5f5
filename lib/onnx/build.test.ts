import { InferenceSession, Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { buildMlp, randomMlp, randomMlpLayers, type MlpLayer, type MlpSpec } from "./build";
import { checkGraph } from "./check";
import { inspectOnnx } from "./inspect";
import { decodeModel } from "./proto";

/** Reference forward pass in float64: y = act(x·W + b) per layer, no activation after the last. */
function forward(spec: MlpSpec, input: number[][]): number[][] {
  const dense = (rows: number[][], layer: MlpLayer) =>
    rows.map((row) =>
      Array.from({ length: layer.outFeatures }, (_, out) =>
        row.reduce(
          (sum, value, inIndex) => sum + value * layer.weights[inIndex * layer.outFeatures + out]!,
          layer.bias[out]!,
        ),
      ),
    );
  const activate = spec.activation === "relu" ? (value: number) => Math.max(0, value) : Math.tanh;
  let rows = input;
  spec.layers.forEach((layer, index) => {
    rows = dense(rows, layer);
    if (index < spec.layers.length - 1) rows = rows.map((row) => row.map(activate));
  });
  if (!spec.softmaxOutput) return rows;
  return rows.map((row) => {
    const exps = row.map((value) => Math.exp(value - Math.max(...row)));
    const total = exps.reduce((sum, value) => sum + value, 0);
    return exps.map((value) => value / total);
  });
}

async function runOnnx(
  bytes: Uint8Array,
  inputName: string,
  input: number[][],
): Promise<{ rows: number[][]; dims: readonly number[] }> {
  const session = await InferenceSession.create(bytes);
  try {
    const features = input[0]!.length;
    const tensor = new Tensor("float32", Float32Array.from(input.flat()), [input.length, features]);
    const result = await session.run({ [inputName]: tensor });
    const output = result[session.outputNames[0]!]!;
    const width = output.dims[1]!;
    const values = Array.from(output.data as Float32Array);
    return { rows: input.map((_, row) => values.slice(row * width, (row + 1) * width)), dims: output.dims };
  } finally {
    await session.release();
  }
}

function expectClose(actual: number[][], expected: number[][], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, rowIndex) => {
    row.forEach((value, column) => expect(Math.abs(value - expected[rowIndex]![column]!)).toBeLessThan(tolerance));
  });
}

/** 3 → 2 → 2 with hand-picked weights (row-major [in, out]). */
const knownLayers: MlpLayer[] = [
  {
    inFeatures: 3,
    outFeatures: 2,
    weights: Float32Array.from([0.5, -1, 0.25, 0.75, -0.5, 2]),
    bias: Float32Array.from([0.1, -0.2]),
  },
  { inFeatures: 2, outFeatures: 2, weights: Float32Array.from([1, -1, 0.5, 0.25]), bias: Float32Array.from([0, 0.3]) },
];
const batch = [
  [1, 2, 3],
  [-1, 0.5, 0],
  [0, 0, 0],
  [2, -3, 1.5],
];

describe("buildMlp", () => {
  it.each([
    ["relu", true],
    ["relu", false],
    ["tanh", true],
    ["tanh", false],
  ] as const)(
    "computes the same as a hand-written forward pass (%s, softmax %s)",
    async (activation, softmaxOutput) => {
      const spec: MlpSpec = {
        inputName: "features",
        outputName: "scores",
        layers: knownLayers,
        activation,
        softmaxOutput,
      };
      const { rows, dims } = await runOnnx(buildMlp(spec), "features", batch);
      expect(dims).toEqual([batch.length, 2]);
      expectClose(rows, forward(spec, batch));
    },
  );

  it("checks out structurally and has the declared signature", () => {
    const bytes = buildMlp({
      inputName: "features",
      outputName: "scores",
      layers: knownLayers,
      activation: "relu",
      softmaxOutput: true,
      docString: "tiny",
    });
    const model = decodeModel(bytes);
    expect(() => checkGraph(model)).not.toThrow();
    expect(model.docString).toBe("tiny");
    expect(inspectOnnx(bytes)).toMatchObject({
      irVersion: 8,
      opset: 17,
      producerName: "modelyard",
      inputs: [{ name: "features", dtype: "float32", shape: ["batch", 3] }],
      outputs: [{ name: "scores", dtype: "float32", shape: ["batch", 2] }],
      parameterCount: 3 * 2 + 2 + 2 * 2 + 2,
      operators: { Gemm: 2, Relu: 1, Softmax: 1 },
    });
  });

  it("refuses layers whose sizes do not fit", () => {
    const base = { inputName: "x", outputName: "y", activation: "relu", softmaxOutput: false } as const;
    expect(() => buildMlp({ ...base, layers: [] })).toThrow(/at least one layer/);
    expect(() => buildMlp({ ...base, layers: [{ ...knownLayers[0]!, outFeatures: 3 }] })).toThrow(
      /weights has 6 values, expected 3×3/,
    );
    expect(() =>
      buildMlp({
        ...base,
        layers: [knownLayers[0]!, { ...knownLayers[1]!, inFeatures: 3, weights: new Float32Array(6) }],
      }),
    ).toThrow(/takes 3 features but layer 0 produces 2/);
  });
});

describe("randomMlp", () => {
  it("is deterministic per seed", () => {
    expect(randomMlp([8, 16, 4], 3)).toEqual(randomMlp([8, 16, 4], 3));
    expect(randomMlp([8, 16, 4], 3)).not.toEqual(randomMlp([8, 16, 4], 4));
  });

  it("keeps weights within the Xavier limit", () => {
    const [layer] = randomMlpLayers([100, 50], 9);
    const limit = Math.sqrt(6 / 150);
    expect(Math.max(...layer!.weights.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...layer!.weights.map(Math.abs))).toBeGreaterThan(limit * 0.9);
  });

  it("runs in onnxruntime and outputs probabilities", async () => {
    const input = [Array.from({ length: 8 }, (_, index) => index / 8)];
    const { rows } = await runOnnx(randomMlp([8, 16, 4], 3), "input", input);
    expect(rows[0]!.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
    expectClose(
      rows,
      forward(
        {
          inputName: "input",
          outputName: "output",
          layers: randomMlpLayers([8, 16, 4], 3),
          activation: "relu",
          softmaxOutput: true,
        },
        input,
      ),
    );
  });
});
