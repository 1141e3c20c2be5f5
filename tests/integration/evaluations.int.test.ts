import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { artifactStore } from "@/lib/artifacts";
import { db } from "@/lib/db";
import { api } from "../fixtures/api";
import { BREAST_CANCER_ONNX, createModel, DIGITS_ONNX, readyVersion, FIXTURE_MODELS } from "../fixtures/registry";
import { datasetDtoSchema } from "@/lib/datasets/schemas";
import { BREAST_CANCER_CSV, DIGITS_CSV, uploadDataset, uploadDatasetBytes } from "../fixtures/datasets";
import { startEvaluation, waitForEvaluation } from "../fixtures/evaluations";
import { startEvaluateWorkerForFile, startValidateWorkerForFile } from "../fixtures/worker";

// Small chunks, so a cancellation lands between them.
process.env.EVALUATE_CHUNK_ROWS = "32";

startValidateWorkerForFile();
startEvaluateWorkerForFile();

describe("evaluations", () => {
  it("scores the shared models on their test sets like onnxruntime does", async () => {
    for (const [onnx, csv, accuracy, rows] of [
      [BREAST_CANCER_ONNX, "breast_cancer_test.csv", 0.9591, 171],
      [DIGITS_ONNX, "digits_test.csv", 0.9759, 540],
    ] as const) {
      const model = await createModel();
      const version = await readyVersion(model.name, onnx);
      const dataset = await uploadDataset(model.name, path.join(FIXTURE_MODELS, csv));
      const started = await startEvaluation(model.name, version.version, { datasetId: dataset.id });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const done = await waitForEvaluation(model.name, String(started.body.id));
      expect(done.state, done.error ?? "").toBe("SUCCEEDED");
      expect(done.rowsDone).toBe(rows);
      expect(done.report!.accuracy).toBeCloseTo(accuracy, 4);
      expect(done.hasPredictions).toBe(true);

      const metrics = await db().versionMetric.findMany({ where: { versionId: version.id, datasetId: dataset.id } });
      expect(metrics.find((metric) => metric.key === "accuracy")?.value).toBeCloseTo(accuracy, 4);
      const predictions = await api("GET", `/api/models/${model.name}/evaluations/${done.id}/predictions`);
      const lines = (await predictions.text()).trim().split("\n");
      expect(lines).toHaveLength(rows + 1);
      expect(lines[0]).toMatch(/^row,predicted,p0,p1/);
    }
  });

  it("take their predictions files with them when the version or the dataset is deleted", async () => {
    const model = await createModel();
    // The first 50 rows only: files are stored by content, and other tests write the full set's predictions.
    const lines = (await readFile(BREAST_CANCER_CSV, "utf8")).trim().split("\n").slice(0, 51);
    const response = await uploadDatasetBytes(model.name, Buffer.from(lines.join("\n")), "cancer-head.csv");
    expect(response.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await response.json());
    for (const remove of ["version", "dataset"] as const) {
      const version = await readyVersion(model.name, BREAST_CANCER_ONNX);
      const started = await startEvaluation(model.name, version.version, { datasetId: dataset.id });
      const done = await waitForEvaluation(model.name, String(started.body.id));
      const { predictionsSha256 } = await db().evaluation.findUniqueOrThrow({ where: { id: done.id } });
      const file = artifactStore().localPath(predictionsSha256!);
      await access(file);

      const target = remove === "version" ? `versions/${version.version}` : `datasets/${dataset.id}`;
      expect((await api("DELETE", `/api/models/${model.name}/${target}`)).status).toBe(204);
      expect(await db().artifact.count({ where: { sha256: predictionsSha256! } })).toBe(0);
      await expect(access(file)).rejects.toThrow(/ENOENT/);
    }
  });
});

describe("evaluating several versions at once", () => {
  it("starts one evaluation per version, or none when one of them cannot be evaluated", async () => {
    const model = await createModel();
    const first = await readyVersion(model.name, BREAST_CANCER_ONNX);
    const second = await readyVersion(model.name, BREAST_CANCER_ONNX);
    const dataset = await uploadDataset(model.name, BREAST_CANCER_CSV);
    const url = `/api/models/${model.name}/evaluations`;

    // A digits version cannot read the breast-cancer columns: nothing starts, and the error says which version.
    const digits = await readyVersion(model.name, DIGITS_ONNX);
    const refused = await api("POST", url, {
      json: { datasetId: dataset.id, versions: [first.version, digits.version] },
    });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { message: string } };
    expect(error.message).toMatch(
      new RegExp(`^version ${digits.version}: input 'input' .* no evaluation was started$`),
    );
    expect(await db().evaluation.count({ where: { datasetId: dataset.id } })).toBe(0);

    const response = await api("POST", url, {
      json: { datasetId: dataset.id, versions: [first.version, second.version] },
    });
    expect(response.status).toBe(202);
    const { items } = (await response.json()) as { items: { id: string; version: number }[] };
    expect(items.map((item) => item.version)).toEqual([first.version, second.version]);
    for (const item of items) {
      const done = await waitForEvaluation(model.name, item.id);
      expect(done.report!.accuracy).toBeCloseTo(0.9591, 4);
    }
  });
});

describe("evaluation requests that cannot work", () => {
  it("are refused up front with a reason, and nothing is queued", async () => {
    const model = await createModel();
    const version = await readyVersion(model.name, DIGITS_ONNX);
    const cancer = await uploadDataset(model.name, path.join(FIXTURE_MODELS, "breast_cancer_test.csv"));
    const digits = await uploadDataset(model.name, path.join(FIXTURE_MODELS, "digits_test.csv"));
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [
        { datasetId: cancer.id },
        400,
        /input 'input' \[batch, 64\] takes 64 values per row but the dataset has 30 feature columns/,
      ],
      [{ datasetId: digits.id, labelColumn: "nope" }, 400, /label column 'nope' is not in the dataset/],
      [{ datasetId: digits.id, task: "REGRESSION" }, 400, /regression needs one/],
      [{ datasetId: "00000000-0000-4000-8000-000000000000" }, 404, /dataset .* was not found/],
      [{}, 400, /datasetId/],
    ];
    for (const [body, status, message] of cases) {
      const response = await startEvaluation(model.name, version.version, body);
      expect({ body, status: response.status, error: response.body.error }).toMatchObject({
        status,
        error: { message: expect.stringMatching(message) },
      });
    }
    expect(await db().evaluation.count({ where: { versionId: version.id } })).toBe(0);
    expect(await db().job.count({ where: { versionId: version.id, kind: "EVALUATE" } })).toBe(0);
  });

  it("fails on the first label that is not a class of the model, naming its row", async () => {
    const model = await createModel();
    const version = await readyVersion(model.name, DIGITS_ONNX);
    const dataset = await uploadDataset(model.name, path.join(FIXTURE_MODELS, "digits_test.csv"));
    // Pixel p3 as the "label": within 0…9, but fractions are not classes.
    const started = await startEvaluation(model.name, version.version, { datasetId: dataset.id, labelColumn: "p3" });
    expect(started.status).toBe(202);
    const done = await waitForEvaluation(model.name, String(started.body.id));
    expect(done.state).toBe("FAILED");
    expect(done.error).toMatch(/^row \d+ of the dataset has label 0\.\d+, which is not a class of the model \(0…9\)$/);
    expect(done.hasPredictions).toBe(false);
    expect(await db().versionMetric.count({ where: { versionId: version.id } })).toBe(0);
  });

  it("can be cancelled, leaving no predictions and no metrics", async () => {
    const model = await createModel();
    const version = await readyVersion(model.name, DIGITS_ONNX);
    // The test set 40 times over (21,600 rows, 675 chunks), so the job is still running when Cancel arrives.
    const [header, ...rows] = (await readFile(DIGITS_CSV, "utf8")).trim().split("\n");
    const repeated = [header, ...Array.from({ length: 40 }, () => rows).flat()].join("\n");
    const upload = await uploadDatasetBytes(model.name, Buffer.from(repeated), "digits-x40.csv");
    expect(upload.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await upload.json());
    const started = await startEvaluation(model.name, version.version, { datasetId: dataset.id });
    expect(started.status).toBe(202);
    const cancel = await api("POST", `/api/jobs/${String(started.body.jobId)}/cancel`);
    expect(cancel.status).toBe(200);
    const done = await waitForEvaluation(model.name, String(started.body.id));
    expect(done.state).toBe("CANCELLED");
    expect(done.hasPredictions).toBe(false);
    expect(done.rowsDone).toBeLessThan(dataset.rowCount);
    expect(await db().versionMetric.count({ where: { versionId: version.id } })).toBe(0);
    const again = await api("POST", `/api/jobs/${String(started.body.jobId)}/cancel`);
    expect(again.status).toBe(409);
  });
});
