import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { accuracy, BLOB_CLASSES, BLOB_FEATURES, exportDemoModel, makeBlobs, trainSoftmax } from "./blobs";

describe("demo model", () => {
  it("learns the synthetic blobs and exports an ONNX model onnxruntime agrees with", async () => {
    const train = makeBlobs(600, 1);
    const test = makeBlobs(300, 2);
    const trained = trainSoftmax(train);
    const jsAccuracy = accuracy(test, trained);
    expect(jsAccuracy).toBeGreaterThan(0.9);

    const bytes = exportDemoModel(trained);
    const session = await ort.InferenceSession.create(bytes);
    const output = await session.run({
      features: new ort.Tensor("float32", test.features, [test.rows, BLOB_FEATURES]),
    });
    const probabilities = output.probabilities!.data as Float32Array;
    let correct = 0;
    for (let row = 0; row < test.rows; row += 1) {
      const scores = Array.from(probabilities.subarray(row * BLOB_CLASSES, (row + 1) * BLOB_CLASSES));
      expect(scores.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
      if (scores.indexOf(Math.max(...scores)) === test.labels[row]) correct += 1;
    }
    expect(correct / test.rows).toBeCloseTo(jsAccuracy, 10);
    await session.release();
  });
});
