import { describe, expect, it } from "vitest";
import { apiErrorSchema, jobDtoSchema, metricSchema, pageSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { createModel, getVersion, readyVersion } from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";
import { z } from "zod";

startValidateWorkerForFile();

const metricsResponse = z.object({ metrics: z.array(metricSchema) });

describe("metrics API", () => {
  it("logs single and batched metrics with history, and shows the latest on the version", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    const url = `/api/models/${model.name}/versions/1/metrics`;
    const single = await api("POST", url, { json: { key: "accuracy", value: 0.91 } });
    expect(single.status).toBe(201);
    const batch = await api("POST", url, {
      json: {
        metrics: [
          { key: "loss", value: 0.5, step: 1, timestamp: "2026-01-01T00:00:00Z" },
          { key: "loss", value: 0.3, step: 2, timestamp: "2026-01-01T00:01:00Z" },
          { key: "accuracy", value: 0.9759, step: 1 },
        ],
      },
    });
    expect(batch.status).toBe(201);
    const history = metricsResponse.parse(await (await api("GET", `${url}?key=loss`)).json());
    expect(history.metrics.map((metric) => [metric.step, metric.value])).toEqual([
      [1, 0.5],
      [2, 0.3],
    ]);
    const detail = await getVersion(model.name, 1);
    expect(detail.metrics).toEqual({ accuracy: 0.9759, loss: 0.3 });
    expect(detail.metricHistory).toHaveLength(4);
  });

  it("rejects NaN, infinities, strings and missing keys", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    const url = `/api/models/${model.name}/versions/1/metrics`;
    const cases: [string, RegExp][] = [
      ['{"key":"acc","value":"NaN"}', /must be a finite number/],
      ['{"key":"acc","value":"0.9"}', /must be a finite number/],
      ['{"key":"acc","value":1e999}', /must be a finite number/],
      ['{"key":"acc","value":NaN}', /not valid JSON/],
      ['{"value":0.5}', /key/],
      ['{"metrics":[]}', /metrics/],
    ];
    for (const [body, message] of cases) {
      const response = await api("POST", url, { body, headers: { "content-type": "application/json" } });
      expect(response.status, body).toBe(400);
      expect(apiErrorSchema.parse(await response.json()).error.message, body).toMatch(message);
    }
    expect((await getVersion(model.name, 1)).metricHistory).toEqual([]);
    expect(
      (await api("POST", `/api/models/${model.name}/versions/7/metrics`, { json: { key: "a", value: 1 } })).status,
    ).toBe(404);
  });
});

describe("jobs API", () => {
  it("lists jobs with their target and state, filters them and gets one", async () => {
    const model = await createModel();
    const version = await readyVersion(model.name);
    const page = pageSchema(jobDtoSchema).parse(await (await api("GET", `/api/jobs?modelName=${model.name}`)).json());
    expect(page.total).toBe(1);
    const [job] = page.items;
    expect(job).toMatchObject({
      kind: "VALIDATE",
      state: "SUCCEEDED",
      progress: 1,
      target: { modelName: model.name, version: 1, id: version.id },
    });
    expect(job!.startedAt).not.toBeNull();
    const one = jobDtoSchema.parse(await (await api("GET", `/api/jobs/${job!.id}`)).json());
    expect(one.id).toBe(job!.id);
    const failed = pageSchema(jobDtoSchema).parse(
      await (await api("GET", `/api/jobs?modelName=${model.name}&state=FAILED`)).json(),
    );
    expect(failed.total).toBe(0);
    expect((await api("GET", "/api/jobs/not-a-uuid")).status).toBe(404);
    expect((await api("GET", "/api/jobs/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await api("GET", "/api/jobs?state=DONE")).status).toBe(400);
  });
});
