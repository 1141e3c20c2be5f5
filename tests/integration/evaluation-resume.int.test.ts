import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { randomMlp } from "@/lib/onnx";
import { api } from "../fixtures/api";
import { DIGITS_CSV, uploadDatasetBytes } from "../fixtures/datasets";
import { startEvaluation, waitForEvaluation } from "../fixtures/evaluations";
import { appProcessesForFile, startWorkerProcess, testFileEnv } from "../fixtures/processes";
import { createModel, readyVersionFromBytes } from "../fixtures/registry";
import { waitUntil } from "../fixtures/serving";
import { datasetDtoSchema } from "@/lib/datasets";

/**
 * A worker killed in the middle of an evaluation: the job is retried by another worker, resumes after
 * the last finished chunk, and ends with exactly the metrics of an uninterrupted run.
 */
appProcessesForFile();

const REPEATS = 20;
const CHUNK_ROWS = 500;

function workerEnv(): Record<string, string> {
  return {
    ...testFileEnv(),
    // A dead worker's job is picked up after about this long.
    WORKER_LOCK_MS: "2000",
    EVALUATE_CHUNK_ROWS: String(CHUNK_ROWS),
  };
}

describe("an evaluation whose worker is killed", () => {
  it("resumes on another worker and gives the same metrics as an uninterrupted run", async () => {
    let worker = await startWorkerProcess(workerEnv());
    const model = await createModel();
    // Wide enough that each chunk takes a noticeable time, so the kill lands mid-run.
    const version = await readyVersionFromBytes(model.name, randomMlp([64, 1024, 1024, 10], 31));
    const [header, ...rows] = (await readFile(DIGITS_CSV, "utf8")).trim().split("\n");
    const csv = [header, ...Array.from({ length: REPEATS }, () => rows).flat()].join("\n");
    const upload = await uploadDatasetBytes(model.name, Buffer.from(csv), "digits-x20.csv");
    expect(upload.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await upload.json());
    const totalRows = rows.length * REPEATS;
    expect(dataset.rowCount).toBe(totalRows);

    const interrupted = await startEvaluation(model.name, version.version, { datasetId: dataset.id });
    expect(interrupted.status).toBe(202);
    const id = String(interrupted.body.id);
    const rowsAtKill = await waitUntil(
      async () => {
        const row = await db().evaluation.findUniqueOrThrow({ where: { id } });
        return row.rowsDone >= 2 * CHUNK_ROWS ? row.rowsDone : undefined;
      },
      "two finished chunks",
      60_000,
    );
    await worker.kill();
    expect(rowsAtKill, "the run finished before the kill; make the model slower").toBeLessThan(totalRows);

    worker = await startWorkerProcess(workerEnv());
    const resumed = await waitForEvaluation(model.name, id, 120_000);
    expect(resumed.state, resumed.error ?? "").toBe("SUCCEEDED");
    const job = await db().job.findUniqueOrThrow({ where: { id: resumed.jobId } });
    expect(job.attempts).toBe(2);
    expect(resumed.report!.rows).toBe(totalRows);

    const reference = await startEvaluation(model.name, version.version, { datasetId: dataset.id });
    const uninterrupted = await waitForEvaluation(model.name, String(reference.body.id), 120_000);
    expect(uninterrupted.state).toBe("SUCCEEDED");
    for (const key of ["rows", "invalidRows", "accuracy", "macroF1", "confusionMatrix", "perClass"]) {
      expect(resumed.report![key], key).toEqual(uninterrupted.report![key]);
    }
    expect(resumed.report!.logLoss).toBeCloseTo(uninterrupted.report!.logLoss as number, 9);

    const predictions = await api("GET", `/api/models/${model.name}/evaluations/${id}/predictions`);
    const lines = (await predictions.text()).trim().split("\n").slice(1);
    expect(lines.map((line) => Number(line.split(",", 1)[0]))).toEqual(
      Array.from({ length: totalRows }, (_, index) => index + 1),
    );
    await worker.stop();
  });
});
