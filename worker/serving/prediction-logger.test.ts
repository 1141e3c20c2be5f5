import { describe, expect, it } from "vitest";
import type { PredictionLogRow } from "@/lib/serving/prediction-store";
import { PredictionLogger, readPredictions, type PredictionSource } from "./prediction-logger";
import type { HostTensor } from "./tensors";

const scores = (rows: number[][]): HostTensor => ({
  type: "float32",
  dims: [rows.length, rows[0]!.length],
  data: Float32Array.from(rows.flat()),
});

const classifier: PredictionSource = {
  modelId: "model-a",
  versionId: "version-1",
  version: 1,
  signature: {
    inputs: [{ name: "x", dtype: "float32", shape: ["batch", 2] }],
    outputs: [{ name: "logits", dtype: "float32", shape: ["batch", 3] }],
  },
  settings: { predictionSampleRate: 1 },
};

/** Errors shaped as Prisma's driver adapter reports them (see classifyWriteFailure). */
const unreachable = () =>
  Object.assign(new Error("Can't reach database server"), {
    code: "P2010",
    meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } },
  });
const indexRowTooLarge = () =>
  Object.assign(new Error("index row size 3032 exceeds btree version 4 maximum 2704"), {
    code: "P2010",
    meta: { driverAdapterError: { cause: { kind: "postgres", code: "54000" } } },
  });

function setup(options: { maxPendingRows?: number; writeBatchRows?: number; random?: () => number } = {}) {
  const written: PredictionLogRow[][] = [];
  const attempts: string[][] = [];
  const refused: string[] = [];
  /** `failing`: every write fails as if the store were down; `refuse`: request ids the store refuses. */
  const state = { failing: false, refuse: new Set<string>(), failAfterWrites: Infinity };
  const logger = new PredictionLogger({
    write: async (rows) => {
      attempts.push(rows.map((row) => row.requestId));
      if (state.failing || written.length >= state.failAfterWrites) throw unreachable();
      if (rows.some((row) => state.refuse.has(row.requestId))) throw indexRowTooLarge();
      written.push(rows);
    },
    onRefused: (rows) => refused.push(...rows.map((row) => row.requestId)),
    ...options,
  });
  const requestIds = () => written.flat().map((row) => `${row.requestId}/${row.row}`);
  return { logger, written, attempts, refused, state, requestIds };
}

describe("readPredictions", () => {
  it("takes the highest score as the class, with its softmax probability as confidence", () => {
    const read = readPredictions(
      { kind: "class", labelOutput: null, scoreOutput: "logits", classCount: 3 },
      {
        logits: scores([
          [0, 2, 1],
          [5, 5, 0],
          [Number.NaN, 0, 0],
        ]),
      },
      3,
    );
    const softmax = Math.exp(2) / (1 + Math.exp(2) + Math.exp(1));
    expect(read).toEqual([
      { row: 0, predicted: 1, confidence: expect.closeTo(softmax, 12) },
      // Ties go to the lower class, as in evaluation; the NaN row is left out.
      { row: 1, predicted: 0, confidence: expect.closeTo(Math.exp(5) / (2 * Math.exp(5) + 1), 12) },
    ]);
  });

  it("prefers an integer label output and reads confidence from the probabilities", () => {
    const read = readPredictions(
      { kind: "class", labelOutput: "label", scoreOutput: "probabilities", classCount: 2 },
      {
        label: { type: "int64", dims: [2], data: BigInt64Array.from([1n, 0n]) },
        probabilities: scores([
          [0.25, 0.75],
          [0.6, 0.4],
        ]),
      },
      2,
    );
    expect(read).toEqual([
      { row: 0, predicted: 1, confidence: 0.75 },
      { row: 1, predicted: 0, confidence: expect.closeTo(0.6, 6) },
    ]);
  });

  it("reads a regressor's single value, without confidence", () => {
    const read = readPredictions({ kind: "value", scoreOutput: "y" }, { y: scores([[1.5], [-2]]) }, 2);
    expect(read).toEqual([
      { row: 0, predicted: 1.5, confidence: null },
      { row: 1, predicted: -2, confidence: null },
    ]);
  });
});

describe("PredictionLogger", () => {
  it("writes one row per request row, in the background, in batches", async () => {
    const { logger, written, requestIds } = setup({ writeBatchRows: 2 });
    logger.record(classifier, "a", { logits: scores([[0, 1, 0]]) }, 1);
    logger.record(
      classifier,
      "b",
      {
        logits: scores([
          [3, 1, 0],
          [0, 0, 9],
        ]),
      },
      2,
    );
    expect(written).toEqual([]);
    expect(logger.pendingRows).toBe(3);

    await logger.flush();
    expect(written.map((batch) => batch.length)).toEqual([2, 1]);
    expect(requestIds()).toEqual(["a/0", "b/0", "b/1"]);
    expect(written.flat().map((row) => row.predicted)).toEqual([1, 0, 2]);
    expect(written.flat()[0]).toMatchObject({ modelId: "model-a", versionId: "version-1", version: 1 });
    expect(logger.pendingRows).toBe(0);
  });

  it("keeps rows through a failed write and drops the oldest beyond its bound, counting them", async () => {
    const { logger, state, requestIds } = setup({ maxPendingRows: 3 });
    state.failing = true;
    logger.record(classifier, "a", { logits: scores([[0, 1, 0]]) }, 1);
    logger.record(classifier, "b", { logits: scores([[0, 1, 0]]) }, 1);
    await logger.flush();
    expect(logger.pendingRows).toBe(2);
    logger.record(classifier, "c", { logits: scores([[0, 1, 0]]) }, 1);
    logger.record(classifier, "d", { logits: scores([[0, 1, 0]]) }, 1);
    expect(logger.droppedRows).toEqual({ refused: 0, unreachable: 1, write_failed: 0, backlog: 0 });
    expect(logger.pendingRows).toBe(3);

    state.failing = false;
    await logger.flush();
    expect(requestIds()).toEqual(["b/0", "c/0", "d/0"]);
  });

  it("drops only the rows the store refuses for their data, counted, and writes the rest of their batch", async () => {
    const { logger, attempts, refused, state, requestIds } = setup({ writeBatchRows: 8 });
    state.refuse = new Set(["long-id"]);
    for (const id of ["a", "b", "c", "long-id", "d", "e", "f"]) {
      logger.record(classifier, id, { logits: scores([[0, 1, 0]]) }, 1);
    }
    await logger.flush();
    expect(requestIds()).toEqual(["a/0", "b/0", "c/0", "d/0", "e/0", "f/0"]);
    expect(refused).toEqual(["long-id"]);
    expect(logger.droppedRows).toEqual({ refused: 1, unreachable: 0, write_failed: 0, backlog: 0 });
    expect(logger.pendingRows).toBe(0);
    // Halved until the refused row stood alone: 7 → 4 + 3 → 2 + 2 → 1 + 1.
    expect(attempts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(7)) + 1);

    // Later flushes are not held up by it.
    logger.record(classifier, "g", { logits: scores([[0, 1, 0]]) }, 1);
    await logger.flush();
    expect(requestIds()).toContain("g/0");
  });

  it("keeps every row not yet written when the store goes away while a refused batch is split", async () => {
    const { logger, state, requestIds } = setup({ writeBatchRows: 8 });
    state.refuse = new Set(["long-id"]);
    state.failAfterWrites = 1;
    for (const id of ["a", "b", "long-id", "c"]) logger.record(classifier, id, { logits: scores([[0, 1, 0]]) }, 1);
    await logger.flush();
    // [a, b, long-id, c] was refused; [a, b] was written, then the store went away.
    expect(requestIds()).toEqual(["a/0", "b/0"]);
    expect(logger.pendingRows).toBe(2);
    expect(logger.droppedRows.refused).toBe(0);

    state.failAfterWrites = Infinity;
    await logger.flush();
    expect(requestIds()).toEqual(["a/0", "b/0", "c/0"]);
    expect(logger.droppedRows.refused).toBe(1);
    expect(logger.pendingRows).toBe(0);
  });

  it("samples requests at the version's rate and logs nothing at 0", async () => {
    const draws = [0.1, 0.6, 0.49, 0.9];
    const { logger, requestIds } = setup({ random: () => draws.shift()! });
    const half = { ...classifier, settings: { predictionSampleRate: 0.5 } };
    for (const id of ["a", "b", "c", "d"]) logger.record(half, id, { logits: scores([[0, 1, 0]]) }, 1);
    logger.record({ ...classifier, settings: { predictionSampleRate: 0 } }, "e", { logits: scores([[0, 1, 0]]) }, 1);
    await logger.flush();
    expect(requestIds()).toEqual(["a/0", "c/0"]);
  });

  it("logs nothing for outputs it cannot read per row", async () => {
    const { logger, written } = setup();
    const unreadable: PredictionSource = {
      ...classifier,
      signature: {
        inputs: classifier.signature.inputs,
        outputs: [{ name: "text", dtype: "string", shape: ["batch"] }],
      },
    };
    logger.record(unreadable, "a", { text: { type: "string", dims: [1], data: ["x"] } }, 1);
    await logger.stop();
    expect(written).toEqual([]);
  });
});
