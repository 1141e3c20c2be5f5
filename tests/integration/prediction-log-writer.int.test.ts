import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDb, db } from "@/lib/db";
import { classifyWriteFailure, writePredictionLogs, type PredictionLogRow } from "@/lib/serving/prediction-store";
import { PredictionLogger, type PredictionSource } from "@/worker/serving/prediction-logger";
import { ServingMetrics } from "@/worker/serving/prometheus";
import { createModel, DIGITS_ONNX, readyVersion } from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";

/**
 * The prediction log writer against the real database: a row Postgres refuses (here an id too long
 * for the primary key's index, which requests can no longer send) is dropped and counted alone, and
 * the rows batched with it are written.
 */
startValidateWorkerForFile();

async function digitsSource(): Promise<PredictionSource> {
  const model = await createModel();
  const version = await readyVersion(model.name, DIGITS_ONNX);
  const row = await db().modelVersion.findUniqueOrThrow({ where: { id: version.id } });
  return {
    modelId: row.modelId,
    versionId: row.id,
    version: row.version,
    signature: {
      inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
      outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
    },
    settings: { predictionSampleRate: 1 },
  };
}

const oneHot = (predicted: number) => {
  const data = new Float32Array(10);
  data[predicted] = 5;
  return { output: { type: "float32" as const, dims: [1, 10], data } };
};

describe("prediction log writer", () => {
  it("writes the good rows of a batch the database refuses for one row, and counts that row as refused", async () => {
    const source = await digitsSource();
    const refusals: { rows: PredictionLogRow[]; error: unknown }[] = [];
    const logger = new PredictionLogger({
      write: async (rows) => {
        await writePredictionLogs(db(), rows);
      },
      onRefused: (rows, error) => refusals.push({ rows, error }),
    });
    // Random hex does not compress, so the key is too large for the btree index (2704 bytes at most).
    const tooLong = randomBytes(1500).toString("hex");
    const ids = ["good-1", "good-2", tooLong, "good-3", "good-4"];
    ids.forEach((id, index) => logger.record(source, id, oneHot(index), 1));
    await logger.flush();

    const stored = await db().predictionLog.findMany({
      where: { modelId: source.modelId },
      orderBy: { requestId: "asc" },
    });
    expect(stored.map((row) => [row.requestId, row.predicted])).toEqual([
      ["good-1", 0],
      ["good-2", 1],
      ["good-3", 3],
      ["good-4", 4],
    ]);
    expect(logger.droppedRows).toEqual({ refused: 1, unreachable: 0, write_failed: 0, backlog: 0 });
    expect(logger.pendingRows).toBe(0);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.rows.map((row) => row.requestId)).toEqual([tooLong]);
    expect(String((refusals[0]!.error as Error).message)).toMatch(/index row size \d+ exceeds btree/);

    const metrics = new ServingMetrics();
    metrics.observe({
      states: () => [],
      queueDepths: () => [],
      droppedBuckets: () => 0,
      droppedPredictions: () => logger.droppedRows,
    });
    const text = await metrics.text();
    expect(text).toContain('modelyard_serving_prediction_logs_dropped_total{reason="refused"} 1');
    expect(text).toContain('modelyard_serving_prediction_logs_dropped_total{reason="unreachable"} 0');

    // Logging goes on for every later request.
    logger.record(source, "good-5", oneHot(5), 1);
    await logger.flush();
    expect(await db().predictionLog.count({ where: { modelId: source.modelId } })).toBe(5);
  });

  it("tells a database that cannot be reached from rows it refuses", async () => {
    const source = await digitsSource();
    const row: PredictionLogRow = {
      requestId: "r",
      modelId: source.modelId,
      versionId: source.versionId,
      version: source.version,
      row: 0,
      predicted: 1,
      confidence: null,
      createdAt: new Date(),
    };
    const nowhere = createDb("postgresql://root@127.0.0.1:1/postgres");
    try {
      const error = await writePredictionLogs(nowhere, [row]).catch((caught: unknown) => caught);
      expect(classifyWriteFailure(error)).toBe("unreachable");
    } finally {
      await nowhere.$disconnect();
    }
    const refused = await writePredictionLogs(db(), [{ ...row, requestId: randomBytes(1500).toString("hex") }]).catch(
      (caught: unknown) => caught,
    );
    expect(classifyWriteFailure(refused)).toBe("refused");
  });
});
