import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { apiErrorSchema, pageSchema } from "@/lib/registry/schemas";
import { writeBuckets } from "@/lib/serving/metric-store";
import { BucketTotals, type BucketRecord } from "@/lib/serving/metrics-recorder";
import { closeDeploymentPublisher } from "@/lib/serving/notify";
import {
  DEFAULT_DEPLOYMENT_SETTINGS,
  REPLICA_LIVE_SECONDS,
  endpointDtoSchema,
  endpointSeriesSchema,
  type EndpointDto,
  type ReplicaModel,
} from "@/lib/serving/schemas";
import { api } from "../fixtures/api";
import { createModel, promote, readyVersion } from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();

// Replicas are global (every endpoint sees them), so each test starts with none.
beforeEach(async () => {
  await db().servingReplica.deleteMany();
});

afterAll(async () => {
  await closeDeploymentPublisher();
});

const endpointPage = pageSchema(endpointDtoSchema);

async function getEndpoint(modelName: string): Promise<EndpointDto> {
  const response = await api("GET", `/api/models/${modelName}/endpoint`);
  expect(response.status).toBe(200);
  return endpointDtoSchema.parse(await response.json());
}

async function expectError(response: Response, status: number, message: RegExp) {
  expect(response.status).toBe(status);
  expect(apiErrorSchema.parse(await response.json()).error.message).toMatch(message);
}

/** A model with a Ready v1 in Production: the smallest model that has an endpoint. */
async function productionModel() {
  const model = await createModel();
  const v1 = await readyVersion(model.name);
  expect((await promote(model.name, 1, "PRODUCTION")).status).toBe(200);
  return { model, v1 };
}

type ReportedModel = Omit<ReplicaModel, "since">;

const withSince = (models: ReportedModel[]): ReplicaModel[] =>
  models.map((model) => ({ ...model, since: new Date().toISOString() }));

/** A replica row as a serving process writes it on its heartbeat. */
async function reportReplica(id: string, models: ReportedModel[], heartbeatAt: Date = new Date()): Promise<void> {
  await db().servingReplica.create({
    data: {
      id,
      url: `http://${id}.test:8501`,
      hostname: id,
      pid: 4242,
      startedAt: new Date(heartbeatAt.getTime() - 60_000),
      heartbeatAt,
      models: withSince(models),
    },
  });
}

async function updateReplica(id: string, models: ReportedModel[]): Promise<void> {
  await db().servingReplica.update({ where: { id }, data: { heartbeatAt: new Date(), models: withSince(models) } });
}

describe("endpoint lifecycle", () => {
  it("gives a model an enabled endpoint when a version is promoted to Production", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    const before = await getEndpoint(model.name);
    expect(before).toMatchObject({ deployed: false, status: "NOT_DEPLOYED", settings: null, versions: [] });

    expect((await promote(model.name, 1, "PRODUCTION")).status).toBe(200);
    const row = await db().deployment.findUnique({ where: { modelId: model.id } });
    expect(row).toMatchObject({ enabled: true, createdBy: "local" });

    const after = await getEndpoint(model.name);
    expect(after).toMatchObject({
      modelName: model.name,
      modelId: model.id,
      deployed: true,
      settings: DEFAULT_DEPLOYMENT_SETTINGS,
      // Nothing is serving in this test: the endpoint exists but cannot answer yet.
      status: "UNAVAILABLE",
      statusMessage: "no serving replica is running",
      versions: [{ version: 1, label: "production", state: "UNAVAILABLE" }],
      replicas: [],
      stats: { requests: 0, lastRequestAt: null },
    });
    expect(after.urls.kserveInfer).toMatch(new RegExp(`^https?://[^/]+/v2/models/${model.name}/infer$`));
    expect(after.urls.tfPredict).toMatch(new RegExp(`^https?://[^/]+/v1/models/${model.name}:predict$`));
  });

  it("refuses to deploy a model with no Ready version in Production or Staging", async () => {
    const model = await createModel();
    await expectError(
      await api("POST", `/api/models/${model.name}/endpoint`),
      409,
      /no Ready version in Production or Staging/,
    );
    await readyVersion(model.name);
    await expectError(await api("POST", `/api/models/${model.name}/endpoint`), 409, /promote one first/);
    expect(await db().deployment.count({ where: { modelId: model.id } })).toBe(0);
  });

  it("undeploys, keeps the endpoint off across promotions, and deploys again on request", async () => {
    const { model } = await productionModel();

    const undeployed = await api("DELETE", `/api/models/${model.name}/endpoint`);
    expect(undeployed.status).toBe(200);
    expect(endpointDtoSchema.parse(await undeployed.json())).toMatchObject({
      deployed: false,
      status: "NOT_DEPLOYED",
      versions: [],
      settings: DEFAULT_DEPLOYMENT_SETTINGS,
    });
    await expectError(await api("DELETE", `/api/models/${model.name}/endpoint`), 409, /is not deployed/);

    await readyVersion(model.name);
    expect((await promote(model.name, 2, "PRODUCTION")).status).toBe(200);
    expect(await getEndpoint(model.name)).toMatchObject({ deployed: false, status: "NOT_DEPLOYED" });
    expect(await db().deployment.findUnique({ where: { modelId: model.id } })).toMatchObject({ enabled: false });

    // Deploy with settings in the body, then once more with an empty body (settings kept).
    const deployed = await api("POST", `/api/models/${model.name}/endpoint`, { json: { maxBatchSize: 8 } });
    expect(deployed.status).toBe(200);
    expect(endpointDtoSchema.parse(await deployed.json())).toMatchObject({
      deployed: true,
      status: "UNAVAILABLE",
      settings: { ...DEFAULT_DEPLOYMENT_SETTINGS, maxBatchSize: 8 },
      versions: [{ version: 2, label: "production" }],
    });
    const again = await api("POST", `/api/models/${model.name}/endpoint`);
    expect(again.status).toBe(200);
    expect(endpointDtoSchema.parse(await again.json()).settings?.maxBatchSize).toBe(8);

    // Staging is served next to Production, listed after it.
    expect((await promote(model.name, 1, "STAGING")).status).toBe(200);
    const both = await getEndpoint(model.name);
    expect(both.versions.map(({ version, label }) => [version, label])).toEqual([
      [2, "production"],
      [1, "staging"],
    ]);
  });

  it("answers 404 for unknown models on every endpoint route", async () => {
    for (const method of ["GET", "POST", "PATCH", "DELETE"] as const) {
      const response = await api(method, "/api/models/no-such-model/endpoint", method === "GET" ? {} : { json: {} });
      await expectError(response, 404, /model 'no-such-model' was not found/);
    }
    await expectError(await api("GET", "/api/models/no-such-model/endpoint/metrics"), 404, /no-such-model/);
  });
});

describe("endpoint settings", () => {
  it("validates each setting, naming the field, and persists valid changes", async () => {
    const { model } = await productionModel();
    const url = `/api/models/${model.name}/endpoint`;
    const cases: [unknown, RegExp][] = [
      [{ maxBatchSize: 0 }, /maxBatchSize/],
      [{ maxBatchSize: 2.5 }, /maxBatchSize/],
      [{ maxQueueDelayMs: "5" }, /maxQueueDelayMs/],
      [{ maxQueueDelayMs: 5000 }, /maxQueueDelayMs/],
      [{ maxQueueSize: -1 }, /maxQueueSize/],
      [{ requestTimeoutMs: 10 }, /requestTimeoutMs/],
      [{ predictionSampleRate: 1.5 }, /predictionSampleRate/],
      [{ batchSize: 4 }, /batchSize/],
    ];
    for (const [json, message] of cases) {
      const response = await api("PATCH", url, { json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(apiErrorSchema.parse(await response.json()).error.message, JSON.stringify(json)).toMatch(message);
    }
    await expectError(
      await api("PATCH", url, { body: "{maxBatchSize:", headers: { "content-type": "application/json" } }),
      400,
      /not valid JSON/,
    );
    expect((await getEndpoint(model.name)).settings).toEqual(DEFAULT_DEPLOYMENT_SETTINGS);

    const patched = await api("PATCH", url, {
      json: { maxBatchSize: 16, maxQueueDelayMs: 2.5, requestTimeoutMs: 5000, predictionSampleRate: 0.25 },
    });
    expect(patched.status).toBe(200);
    const expected = {
      maxBatchSize: 16,
      maxQueueDelayMs: 2.5,
      maxQueueSize: 1024,
      requestTimeoutMs: 5000,
      predictionSampleRate: 0.25,
    };
    expect(endpointDtoSchema.parse(await patched.json()).settings).toEqual(expected);
    expect((await getEndpoint(model.name)).settings).toEqual(expected);
    expect(await db().deployment.findUnique({ where: { modelId: model.id } })).toMatchObject(expected);
  });

  it("refuses settings for a model that never had an endpoint", async () => {
    const model = await createModel();
    await expectError(
      await api("PATCH", `/api/models/${model.name}/endpoint`, { json: { maxBatchSize: 4 } }),
      409,
      /deploy it first/,
    );
  });
});

describe("endpoint status from replica reports", () => {
  it("aggregates what live replicas report for the Production version", async () => {
    const { model, v1 } = await productionModel();
    const report = (state: ReplicaModel["state"], message: string | null = null): ReportedModel => ({
      modelName: model.name,
      version: 1,
      versionId: v1.id,
      labels: state === "READY" ? ["production" as const] : [],
      state,
      message,
    });

    await reportReplica("replica-a", [report("LOADING")]);
    let endpoint = await getEndpoint(model.name);
    expect(endpoint).toMatchObject({ status: "LOADING", versions: [{ version: 1, state: "LOADING" }] });
    expect(endpoint.replicas).toMatchObject([{ id: "replica-a", live: true, models: [{ state: "LOADING" }] }]);

    await updateReplica("replica-a", [report("READY")]);
    endpoint = await getEndpoint(model.name);
    expect(endpoint).toMatchObject({ status: "READY", statusMessage: null, versions: [{ state: "READY" }] });

    // One replica failing while another serves: still Ready, with the failure in the message.
    await reportReplica("replica-b", [report("FAILED", "out of memory")]);
    endpoint = await getEndpoint(model.name);
    expect(endpoint.status).toBe("READY");
    expect(endpoint.versions[0]?.message).toMatch(/failed to load on 1 of 2 replicas: out of memory/);

    // Every live replica failing: the endpoint is Failed, with the reason.
    await updateReplica("replica-a", [report("FAILED", "out of memory")]);
    endpoint = await getEndpoint(model.name);
    expect(endpoint.status).toBe("FAILED");
    expect(endpoint.statusMessage).toMatch(/version 1 failed to load: out of memory/);
  });

  it("names the version that keeps answering only when it is this model's, not another model's", async () => {
    const { model, v1 } = await productionModel();
    const v2 = await readyVersion(model.name);
    expect((await promote(model.name, 2, "PRODUCTION")).status).toBe(200);
    const other = await productionModel();
    const failedV2: ReportedModel = {
      modelName: model.name,
      version: 2,
      versionId: v2.id,
      labels: [],
      state: "FAILED",
      message: "out of memory",
    };
    const otherServing: ReportedModel = {
      modelName: other.model.name,
      version: 1,
      versionId: other.v1.id,
      labels: ["production"],
      state: "READY",
      message: null,
    };
    // The other model's version 1 answers production requests for the other model, not for this one.
    await reportReplica("replica-a", [failedV2, otherServing]);
    let endpoint = await getEndpoint(model.name);
    expect(endpoint.status).toBe("FAILED");
    expect(endpoint.statusMessage).toBe("version 2 failed to load: out of memory.");

    // This model's own version 1, still loaded, does keep answering.
    const ownV1: ReportedModel = { ...otherServing, modelName: model.name, versionId: v1.id };
    await updateReplica("replica-a", [otherServing, failedV2, ownV1]);
    endpoint = await getEndpoint(model.name);
    expect(endpoint.statusMessage).toBe(
      "version 2 failed to load: out of memory. Version 1 keeps answering production requests.",
    );
  });

  it("treats a replica whose heartbeat is stale as gone", async () => {
    const { model, v1 } = await productionModel();
    const stale = new Date(Date.now() - (REPLICA_LIVE_SECONDS + 30) * 1000);
    await reportReplica(
      "replica-stale",
      [{ modelName: model.name, version: 1, versionId: v1.id, labels: ["production"], state: "READY", message: null }],
      stale,
    );
    const endpoint = await getEndpoint(model.name);
    expect(endpoint.replicas).toMatchObject([{ id: "replica-stale", live: false }]);
    expect(endpoint).toMatchObject({ status: "UNAVAILABLE", versions: [{ state: "UNAVAILABLE" }] });
  });
});

describe("endpoint metrics", () => {
  /** One closed 10-second bucket, as a replica flushes it. */
  function bucket(
    ref: { modelId: string; versionId: string; version: number },
    bucketStart: Date,
    latenciesMs: number[],
    options: { errors?: number; batches?: number[] } = {},
  ): BucketRecord {
    const totals = new BucketTotals();
    const at = bucketStart.getTime() + 5000;
    latenciesMs.forEach((ms, index) => totals.recordRequest(ms, 1, ms - 1, index >= (options.errors ?? 0), at));
    for (const rows of options.batches ?? []) totals.recordBatch(rows, at);
    return { ...ref, replicaId: "replica-m", resolutionSeconds: 10, bucketStart, ...totals.toCounts() };
  }

  it("returns per-step points, batch sizes and versions for a range, filtered by version", async () => {
    const { model, v1 } = await productionModel();
    const v2 = await readyVersion(model.name);
    const step = 10_000;
    const recent = new Date(Math.floor(Date.now() / step) * step - 60_000);
    const older = new Date(recent.getTime() - 20 * 60_000);
    const ref1 = { modelId: model.id, versionId: v1.id, version: 1 };
    const ref2 = { modelId: model.id, versionId: v2.id, version: 2 };
    await writeBuckets(db(), [
      bucket(ref1, recent, [10, 20, 30, 40], { errors: 1, batches: [1, 1, 2] }),
      bucket(ref2, recent, [5, 5], { batches: [2] }),
      // Outside the last 15 minutes, inside the last hour.
      bucket(ref1, older, [100, 100, 100]),
    ]);

    const series = async (query: string) => {
      const response = await api("GET", `/api/models/${model.name}/endpoint/metrics${query}`);
      expect(response.status, query).toBe(200);
      return endpointSeriesSchema.parse(await response.json());
    };
    const total = (points: { requests: number }[]) => points.reduce((sum, point) => sum + point.requests, 0);

    const quarter = await series("");
    expect(quarter).toMatchObject({ range: "15m", stepSeconds: 10 });
    expect(quarter.points).toHaveLength(90);
    expect(total(quarter.points)).toBe(6);
    const busy = quarter.points.find((point) => point.start === recent.toISOString());
    expect(busy).toMatchObject({ requests: 6, errors: 1 });
    expect(busy?.p50Ms).toBeGreaterThan(0);
    expect(busy?.p99Ms).toBeGreaterThanOrEqual(busy?.p50Ms ?? Infinity);
    expect(quarter.batchSizes).toEqual([
      { rows: 1, runs: 2 },
      { rows: 2, runs: 2 },
    ]);
    expect(quarter.versions).toEqual([
      { versionId: v1.id, version: 1, requests: 4 },
      { versionId: v2.id, version: 2, requests: 2 },
    ]);

    const hour = await series("?range=1h");
    expect(hour).toMatchObject({ range: "1h", stepSeconds: 60 });
    expect(hour.points).toHaveLength(60);
    expect(total(hour.points)).toBe(9);

    const onlyV1 = await series("?range=1h&version=1");
    expect(total(onlyV1.points)).toBe(7);
    expect(onlyV1.versions.map((version) => version.version)).toEqual([1]);
    expect(onlyV1.batchSizes).toEqual([
      { rows: 1, runs: 2 },
      { rows: 2, runs: 1 },
    ]);

    // The endpoint's headline stats cover the last five minutes only.
    const endpoint = await getEndpoint(model.name);
    expect(endpoint.stats).toMatchObject({ requests: 6, errorRate: 1 / 6 });
    expect(endpoint.stats.lastRequestAt).toBe(new Date(recent.getTime() + 5000).toISOString());

    await expectError(
      await api("GET", `/api/models/${model.name}/endpoint/metrics?version=3`),
      404,
      new RegExp(`version 3 of model '${model.name}' was not found`),
    );
    await expectError(await api("GET", `/api/models/${model.name}/endpoint/metrics?range=7d`), 400, /range/);
    await expectError(await api("GET", `/api/models/${model.name}/endpoint/metrics?version=x`), 400, /version/);
  });

  it("returns zero-filled points when nothing was requested", async () => {
    const { model } = await productionModel();
    const response = await api("GET", `/api/models/${model.name}/endpoint/metrics?range=24h`);
    expect(response.status).toBe(200);
    const series = endpointSeriesSchema.parse(await response.json());
    expect(series).toMatchObject({ range: "24h", stepSeconds: 600, batchSizes: [], versions: [] });
    expect(series.points).toHaveLength(144);
    expect(series.points.every((point) => point.requests === 0 && point.p50Ms === null)).toBe(true);
  });
});

describe("endpoint list", () => {
  it("pages through every endpoint, deployed ones first", async () => {
    const before = endpointPage.parse(await (await api("GET", "/api/endpoints")).json()).total;
    const names: string[] = [];
    for (let index = 0; index < 3; index += 1) names.push((await productionModel()).model.name);
    const withoutEndpoint = await createModel();
    await readyVersion(withoutEndpoint.name);
    expect((await api("DELETE", `/api/models/${names[0]}/endpoint`)).status).toBe(200);

    const pageSize = 2;
    const first = endpointPage.parse(await (await api("GET", `/api/endpoints?pageSize=${pageSize}`)).json());
    expect(first.total).toBe(before + 3);
    const seen: EndpointDto[] = [];
    for (let page = 1; page <= Math.ceil(first.total / pageSize); page += 1) {
      const response = await api("GET", `/api/endpoints?page=${page}&pageSize=${pageSize}`);
      expect(response.status).toBe(200);
      const items = endpointPage.parse(await response.json()).items;
      expect(items.length).toBeLessThanOrEqual(pageSize);
      seen.push(...items);
    }
    expect(seen).toHaveLength(first.total);
    expect(new Set(seen.map((endpoint) => endpoint.modelName)).size).toBe(first.total);
    expect(seen.map((endpoint) => endpoint.modelName)).not.toContain(withoutEndpoint.name);
    for (const name of names) expect(seen.map((endpoint) => endpoint.modelName)).toContain(name);
    // Deployed endpoints come before switched-off ones.
    const deployedFlags = seen.map((endpoint) => endpoint.deployed);
    expect(deployedFlags).toEqual([...deployedFlags].sort((a, b) => Number(b) - Number(a)));
    expect(seen.find((endpoint) => endpoint.modelName === names[0])).toMatchObject({ deployed: false });

    await expectError(await api("GET", "/api/endpoints?pageSize=0"), 400, /pageSize/);
  });

  it("shows each listed endpoint's status from the replicas", async () => {
    const { model, v1 } = await productionModel();
    await reportReplica(`replica-${randomUUID().slice(0, 8)}`, [
      { modelName: model.name, version: 1, versionId: v1.id, labels: ["production"], state: "READY", message: null },
    ]);
    const page = endpointPage.parse(await (await api("GET", "/api/endpoints?pageSize=200")).json());
    const endpoint = page.items.find((item) => item.modelName === model.name);
    expect(endpoint).toMatchObject({ status: "READY", deployed: true, stats: { requests: 0 } });
    expect(endpoint?.replicas).toHaveLength(1);
  });
});
