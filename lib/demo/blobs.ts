/**
 * The demo model: a softmax regression trained at seed time on a synthetic, seeded dataset of three
 * Gaussian blobs in four dimensions. Small, deterministic, and built here, so a fresh install has a
 * real ONNX classifier to explore without downloading anything.
 */
import { buildMlp, mulberry32 } from "@/lib/onnx";

export const BLOB_FEATURES = 4;
export const BLOB_CLASSES = 3;

export interface Dataset {
  features: Float32Array;
  labels: Int32Array;
  rows: number;
}

export function makeBlobs(rows: number, seed: number): Dataset {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = [
    [0, 0, 0, 0],
    [2.5, 2, -1, 0.5],
    [-1.5, 2.5, 1.5, -2],
  ];
  const features = new Float32Array(rows * BLOB_FEATURES);
  const labels = new Int32Array(rows);
  for (let row = 0; row < rows; row += 1) {
    const label = row % BLOB_CLASSES;
    labels[row] = label;
    for (let j = 0; j < BLOB_FEATURES; j += 1) features[row * BLOB_FEATURES + j] = centres[label]![j]! + gaussian();
  }
  return { features, labels, rows };
}

/** Batch gradient descent on cross-entropy; returns weights [features x classes] and bias. */
export function trainSoftmax(
  data: Dataset,
  epochs = 300,
  learningRate = 0.5,
): { weights: Float32Array; bias: Float32Array } {
  const weights = new Float64Array(BLOB_FEATURES * BLOB_CLASSES);
  const bias = new Float64Array(BLOB_CLASSES);
  const logits = new Float64Array(BLOB_CLASSES);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    const gradW = new Float64Array(weights.length);
    const gradB = new Float64Array(BLOB_CLASSES);
    for (let row = 0; row < data.rows; row += 1) {
      const probabilities = predictRow(data.features, row, weights, bias, logits);
      for (let k = 0; k < BLOB_CLASSES; k += 1) {
        const error = probabilities[k]! - (data.labels[row] === k ? 1 : 0);
        gradB[k]! += error;
        for (let j = 0; j < BLOB_FEATURES; j += 1)
          gradW[j * BLOB_CLASSES + k]! += error * data.features[row * BLOB_FEATURES + j]!;
      }
    }
    for (let i = 0; i < weights.length; i += 1) weights[i]! -= (learningRate * gradW[i]!) / data.rows;
    for (let k = 0; k < BLOB_CLASSES; k += 1) bias[k]! -= (learningRate * gradB[k]!) / data.rows;
  }
  return { weights: Float32Array.from(weights), bias: Float32Array.from(bias) };
}

function predictRow(
  features: Float32Array,
  row: number,
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  logits: Float64Array,
): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < BLOB_CLASSES; k += 1) {
    let sum = bias[k]!;
    for (let j = 0; j < BLOB_FEATURES; j += 1)
      sum += features[row * BLOB_FEATURES + j]! * weights[j * BLOB_CLASSES + k]!;
    logits[k] = sum;
    max = Math.max(max, sum);
  }
  let total = 0;
  for (let k = 0; k < BLOB_CLASSES; k += 1) {
    logits[k] = Math.exp(logits[k]! - max);
    total += logits[k]!;
  }
  for (let k = 0; k < BLOB_CLASSES; k += 1) logits[k]! /= total;
  return logits;
}

export function accuracy(data: Dataset, model: { weights: Float32Array; bias: Float32Array }): number {
  const scratch = new Float64Array(BLOB_CLASSES);
  let correct = 0;
  for (let row = 0; row < data.rows; row += 1) {
    const probabilities = predictRow(data.features, row, model.weights, model.bias, scratch);
    let best = 0;
    for (let k = 1; k < BLOB_CLASSES; k += 1) if (probabilities[k]! > probabilities[best]!) best = k;
    if (best === data.labels[row]) correct += 1;
  }
  return correct / data.rows;
}

/** The trained weights as an ONNX classifier: `features` [batch, 4] -> `probabilities` [batch, 3]. */
export function exportDemoModel(model: { weights: Float32Array; bias: Float32Array }): Uint8Array {
  return buildMlp({
    inputName: "features",
    outputName: "probabilities",
    layers: [{ weights: model.weights, bias: model.bias, inFeatures: BLOB_FEATURES, outFeatures: BLOB_CLASSES }],
    activation: "relu",
    softmaxOutput: true,
    docString: "Softmax regression on a synthetic 3-class Gaussian-blob dataset (Modelyard demo).",
  });
}
