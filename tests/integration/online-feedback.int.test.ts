import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { writePredictionLogs } from "@/lib/serving/prediction-store";
import { onlineAccuracySeriesSchema, type OnlineAccuracySeries } from "@/lib/serving/schemas";
import { api, json } from "../fixtures/api";
import { DIGITS_CSV } from "../fixtures/datasets";
import { DIGITS_ONNX, promote, readyVersion } from "../fixtures/registry";
import {
  csvExamples,
  postJson,
  referenceOutputs,
  servedModel,
  startReplicaForFile,
  waitForServed,
  waitUntil,
} from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();
const replica = startReplicaForFile();

const CLASSES = 10;

/** The class onnxruntime itself predicts for each row (the reference the log must hold). */
async function referenceClasses(features: number[][]): Promise<number[]> {
  const { data } = await referenceOutputs(DIGITS_ONNX, Float32Array.from(features.flat()), [features.length, 64]);
  return features.map((_, row) => {
    const scores = Array.from(data.subarray(row * CLASSES, (row + 1) * CLASSES));
    return scores.indexOf(Math.max(...scores));
  });
}

const v2Body = (rows: number[][], id?: string) => ({
  ...(id === undefined ? {} : { id }),
  inputs: [{ name: "input", shape: [rows.length, 64], datatype: "FP32", data: rows.flat() }],
});

async function loggedCount(modelId: string): Promise<number> {
  await replica().predictions.flush();
  return db().predictionLog.count({ where: { modelId } });
}

const sendFeedback = (modelName: string, body: unknown) =>
  api("POST", `/api/models/${modelName}/feedback`, { json: body });

async function accuracySeries(modelName: string, query: string): Promise<OnlineAccuracySeries> {
  const response = await api("GET", `/api/models/${modelName}/endpoint/accuracy?${query}`);
  expect(response.status).toBe(200);
  return onlineAccuracySeriesSchema.parse(await json(response));
}

describe("online feedback", () => {
  it("online feedback produces the accuracy-over-time series", async () => {
    const { model, version } = await servedModel(replica(), DIGITS_ONNX);
    const { features, labels } = await csvExamples(DIGITS_CSV, 40);
    const predicted = await referenceClasses(features);
    const url = replica().url;

    // 30 one-row V2 requests with their own ids, 5 TF Serving requests (id from the response header),
    // and one V2 request carrying 5 rows.
    const requestIds: { requestId: string; row: number }[] = [];
    for (let index = 0; index < 30; index++) {
      const response = await postJson(
        `${url}/v2/models/${model.name}/infer`,
        v2Body([features[index]!], `v2-${index}`),
      );
      expect(response.status).toBe(200);
      requestIds.push({ requestId: response.body.id as string, row: 0 });
    }
    for (let index = 30; index < 35; index++) {
      const response = await postJson(`${url}/v1/models/${model.name}:predict`, { instances: [features[index]] });
      expect(response.status).toBe(200);
      requestIds.push({ requestId: response.headers.get("x-request-id")!, row: 0 });
    }
    const multi = await postJson(`${url}/v2/models/${model.name}/infer`, v2Body(features.slice(35, 40), "v2-batch"));
    expect(multi.status).toBe(200);
    for (let row = 0; row < 5; row++) requestIds.push({ requestId: "v2-batch", row });

    await waitUntil(async () => (await loggedCount(model.id)) === 40, "40 logged predictions");
    const logged = await db().predictionLog.findMany({ where: { modelId: model.id } });
    const byKey = new Map(logged.map((row) => [`${row.requestId}/${row.row}`, row]));
    requestIds.forEach(({ requestId, row }, index) => {
      const entry = byKey.get(`${requestId}/${row}`);
      expect(entry, `${requestId}/${row}`).toMatchObject({ version: version.version, predicted: predicted[index] });
      expect(entry!.confidence).toBeGreaterThan(0);
      expect(entry!.confidence).toBeLessThanOrEqual(1);
    });

    // Ground truth for the first 30 in one batch, the rest one by one.
    const items = requestIds.map((id, index) => ({ ...id, label: labels[index]! }));
    const batch = await sendFeedback(model.name, { items: items.slice(0, 30) });
    expect(batch.status).toBe(200);
    expect(await json(batch)).toEqual({ labelled: 30 });
    for (const item of items.slice(30, 36)) expect((await sendFeedback(model.name, item)).status).toBe(200);

    // Older predictions, two and five hours ago, labelled through the API too.
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    const older = [
      { requestId: "old-a", createdAt: hoursAgo(2), predicted: 3, label: 3 },
      { requestId: "old-b", createdAt: hoursAgo(2), predicted: 3, label: 5 },
      { requestId: "old-c", createdAt: hoursAgo(5), predicted: 7, label: 7 },
    ];
    await writePredictionLogs(
      db(),
      older.map(({ requestId, createdAt, predicted: value }) => ({
        requestId,
        modelId: model.id,
        versionId: version.id,
        version: version.version,
        row: 0,
        predicted: value,
        confidence: 0.9,
        createdAt,
      })),
    );
    const olderFeedback = await sendFeedback(model.name, {
      items: older.map(({ requestId, label }) => ({ requestId, label })),
    });
    expect(olderFeedback.status).toBe(200);

    const series = await accuracySeries(model.name, "bucket=hour");
    expect(series.stepSeconds).toBe(3600);
    const hourOf = (date: Date) => new Date(Math.floor(date.getTime() / 3600_000) * 3600_000).toISOString();
    expect(series.points.slice(0, 2)).toEqual([
      {
        start: hourOf(hoursAgo(5)),
        version: version.version,
        predictions: 1,
        labelled: 1,
        accuracy: 1,
        meanAbsoluteError: null,
      },
      {
        start: hourOf(hoursAgo(2)),
        version: version.version,
        predictions: 2,
        labelled: 2,
        accuracy: 0.5,
        meanAbsoluteError: null,
      },
    ]);
    // The live requests: 40 predictions, 36 of them labelled (possibly split over an hour boundary).
    const recent = series.points.slice(2);
    expect(recent.reduce((sum, point) => sum + point.predictions, 0)).toBe(40);
    expect(recent.reduce((sum, point) => sum + point.labelled, 0)).toBe(36);
    const correct = items.slice(0, 36).filter((item, index) => predicted[index] === item.label).length;
    expect(series.versions).toEqual([
      {
        version: version.version,
        kind: "class",
        predictions: 43,
        labelled: 39,
        accuracy: (correct + 2) / 39,
        meanAbsoluteError: null,
      },
    ]);

    const daily = await accuracySeries(model.name, "bucket=day");
    expect(daily.stepSeconds).toBe(86_400);
    expect(daily.points.reduce((sum, point) => sum + point.labelled, 0)).toBe(39);
  });

  it("keeps versions apart after a promotion", async () => {
    const { model, version: first } = await servedModel(replica(), DIGITS_ONNX);
    const { features, labels } = await csvExamples(DIGITS_CSV, 4);
    const url = `${replica().url}/v2/models/${model.name}/infer`;
    expect((await postJson(url, v2Body(features.slice(0, 2), "first"))).status).toBe(200);
    const second = await readyVersion(model.name, DIGITS_ONNX);
    expect((await promote(model.name, second.version, "PRODUCTION")).status).toBe(200);
    await waitForServed(replica(), model.name, second.version);
    expect((await postJson(url, v2Body(features.slice(2, 4), "second"))).status).toBe(200);
    await waitUntil(async () => (await loggedCount(model.id)) === 4, "4 logged predictions");

    const items = [0, 1].flatMap((row) => [
      { requestId: "first", row, label: labels[row]! },
      { requestId: "second", row, label: labels[row + 2]! },
    ]);
    expect((await sendFeedback(model.name, { items })).status).toBe(200);
    const series = await accuracySeries(model.name, "bucket=day");
    expect(series.versions.map((entry) => [entry.version, entry.predictions, entry.labelled])).toEqual([
      [first.version, 2, 2],
      [second.version, 2, 2],
    ]);
    const onlySecond = await accuracySeries(model.name, `bucket=day&version=${second.version}`);
    expect(onlySecond.versions.map((entry) => entry.version)).toEqual([second.version]);

    // The archived first version's log goes with it when it is deleted.
    expect((await api("DELETE", `/api/models/${model.name}/versions/${first.version}`)).status).toBe(204);
    const remaining = await db().predictionLog.findMany({ where: { modelId: model.id }, select: { version: true } });
    expect(remaining.map((row) => row.version)).toEqual([second.version, second.version]);
  });

  it("refuses unknown request ids, labels that are not classes and repeated items, and records nothing", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    const { features } = await csvExamples(DIGITS_CSV, 1);
    const answer = await postJson(`${replica().url}/v2/models/${model.name}/infer`, v2Body(features, "known"));
    expect(answer.status).toBe(200);
    await waitUntil(async () => (await loggedCount(model.id)) === 1, "the logged prediction");

    const cases: [unknown, number, RegExp][] = [
      [
        { requestId: "nope", label: 1 },
        404,
        /no logged prediction of model '.*' for request id 'nope'.*Nothing was recorded/,
      ],
      [
        {
          items: [
            { requestId: "known", label: 1 },
            { requestId: "missing", label: 2 },
          ],
        },
        404,
        /request id 'missing'/,
      ],
      [{ requestId: "known", row: 3, label: 1 }, 404, /'known' row 3/],
      [{ requestId: "known", label: 10 }, 400, /10 is not a class of the model: it has 10 classes \(0…9\)/],
      [{ requestId: "known", label: 2.5 }, 400, /2\.5 is not a class index/],
      [
        {
          items: [
            { requestId: "known", label: 1 },
            { requestId: "known", label: 2 },
          ],
        },
        400,
        /given twice/,
      ],
      [{ requestId: "known" }, 400, /label/],
      [{ items: [] }, 400, /items/],
    ];
    for (const [body, status, message] of cases) {
      const response = await sendFeedback(model.name, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      const { error } = await json<{ error: { message: string } }>(response);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
    const row = await db().predictionLog.findFirstOrThrow({ where: { modelId: model.id } });
    expect(row.label).toBeNull();
    expect((await sendFeedback("no-such-model", { requestId: "known", label: 1 })).status).toBe(404);
    expect((await api("GET", `/api/models/${model.name}/endpoint/accuracy?bucket=week`)).status).toBe(400);
  });

  it("logs at the endpoint's sampling rate: none at 0, and feedback then says why it finds nothing", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    const settings = await api("PATCH", `/api/models/${model.name}/endpoint`, { json: { predictionSampleRate: 0 } });
    expect(settings.status).toBe(200);
    await replica().sync();
    await waitUntil(
      () => replica().host.resolve(model.name, { label: "production" }).settings.predictionSampleRate === 0,
      "the new sampling rate",
    );
    const { features } = await csvExamples(DIGITS_CSV, 3);
    for (const [index, row] of features.entries()) {
      expect(
        (await postJson(`${replica().url}/v2/models/${model.name}/infer`, v2Body([row], `unlogged-${index}`))).status,
      ).toBe(200);
    }
    expect(await loggedCount(model.id)).toBe(0);
    const response = await sendFeedback(model.name, { requestId: "unlogged-0", label: 1 });
    expect(response.status).toBe(404);
    expect((await json<{ error: { message: string } }>(response)).error.message).toMatch(/sampling rate/);
  });
});
