import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { randomMlp } from "@/lib/onnx";
import type { VersionDetail } from "@/lib/registry/schemas";
import { getEndpoint } from "@/lib/serving/deployments";
import { deploymentChannel } from "@/lib/serving/notify";
import { replicaModelsSchema } from "@/lib/serving/schemas";
import {
  createModel,
  DIGITS_ONNX,
  promote,
  readyVersion,
  readyVersionFromBytes,
  FIXTURE_MODELS,
} from "../fixtures/registry";
import { csvFeatures, postJson, referenceOutputs, waitUntil } from "../fixtures/serving";
import { appProcessesForFile, startServingProcess, type ServingProcess, testFileEnv } from "../fixtures/processes";
import { startValidateWorkerForFile } from "../fixtures/worker";

/**
 * Two serving processes on one database and Redis, as behind a load balancer: both serve a
 * deployment, both switch when a new version is promoted, and one can leave without the other
 * noticing. The periodic sync is set to ten minutes, so only the Redis notification can move them.
 */
startValidateWorkerForFile();
appProcessesForFile();

type V2Output = { name: string; datatype: string; shape: number[]; data: number[] };
type Expected = { data: Float32Array; dims: readonly number[] };

const ROWS = 4;
let replicas: ServingProcess[] = [];
let rows: number[][];
let pubsub: Redis;

beforeAll(async () => {
  const settings = config();
  const env = {
    ...testFileEnv(),
    SERVING_SYNC_INTERVAL_MS: "600000",
    SERVING_METRICS_FLUSH_MS: "500",
  };
  [replicas, rows] = await Promise.all([
    Promise.all([startServingProcess(env), startServingProcess(env)]),
    csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), ROWS),
  ]);
  pubsub = new Redis(settings.REDIS_URL);
  // A replica hears of a promotion only once it has subscribed.
  await waitUntil(async () => {
    const [, subscribers] = (await pubsub.pubsub("NUMSUB", deploymentChannel())) as [string, number];
    return subscribers === replicas.length;
  }, "both replicas to subscribe to deployment changes");
});

afterAll(() => {
  pubsub?.disconnect();
});

/** A V2 and a TF request for the same rows; both must give the reference outputs. */
async function expectServes(replica: ServingProcess, modelName: string, version: number, expected: Expected) {
  const v2 = await postJson(`${replica.url}/v2/models/${modelName}/infer`, {
    inputs: [{ name: "input", shape: [ROWS, 64], datatype: "FP32", data: rows.flat() }],
  });
  expect(v2.status, JSON.stringify(v2.body)).toBe(200);
  expect(v2.body.model_version).toBe(String(version));
  const [output] = v2.body.outputs as V2Output[];
  expect(output).toMatchObject({ name: "output", datatype: "FP32", shape: [...expected.dims] });
  expect(Float32Array.from(output!.data)).toEqual(expected.data);

  const tf = await postJson(`${replica.url}/v1/models/${modelName}:predict`, { instances: rows });
  expect(tf.status, JSON.stringify(tf.body)).toBe(200);
  const predictions = tf.body.predictions as number[][];
  expect(predictions).toHaveLength(ROWS);
  expect(Float32Array.from(predictions.flat())).toEqual(expected.data);
  return { v2: output!.data, tf: predictions };
}

/** What the replica rows in serving_replica say about one version, by replica id. */
async function reportedStates(versionId: string) {
  const rows = await db().servingReplica.findMany();
  return new Map(
    rows.map((row) => [
      row.id,
      { row, model: replicaModelsSchema.parse(row.models).find((model) => model.versionId === versionId) },
    ]),
  );
}

describe("two serving processes", () => {
  let modelName: string;
  let v1: VersionDetail;
  let v1Expected: Expected;
  let v2: VersionDetail;
  let v2Expected: Expected;

  it("both serve a deployed model, give identical answers and report READY", async () => {
    const model = await createModel();
    modelName = model.name;
    v1 = await readyVersion(modelName, DIGITS_ONNX);
    v1Expected = await referenceOutputs(DIGITS_ONNX, Float32Array.from(rows.flat()), [ROWS, 64]);
    expect((await promote(modelName, v1.version, "PRODUCTION")).status).toBe(200);

    for (const replica of replicas) {
      await waitUntil(
        async () => (await fetch(`${replica.url}/v2/models/${modelName}/versions/${v1.version}/ready`)).status === 200,
        `replica ${replica.replicaId} to serve version ${v1.version}`,
      );
    }
    const [first, second] = await Promise.all(
      replicas.map((replica) => expectServes(replica, modelName, v1.version, v1Expected)),
    );
    expect(second).toEqual(first);

    const states = await waitUntil(async () => {
      const reported = await reportedStates(v1.id);
      return replicas.every((replica) => reported.get(replica.replicaId)?.model?.state === "READY") && reported;
    }, "both replicas to report version 1 READY in serving_replica");
    expect(states.size).toBe(2);
    for (const replica of replicas) {
      const { row, model: reported } = states.get(replica.replicaId)!;
      expect(row.pid).toBe(replica.pid);
      expect(row.url).toMatch(new RegExp(`:${new URL(replica.url).port}$`));
      expect(reported).toMatchObject({ modelName, version: 1, labels: ["production"], message: null });
    }

    const endpoint = await getEndpoint(modelName);
    expect(endpoint).toMatchObject({
      deployed: true,
      status: "READY",
      statusMessage: null,
      versions: [{ version: 1, versionId: v1.id, label: "production", state: "READY", message: null }],
    });
    expect(endpoint.replicas.map(({ id, live }) => ({ id, live }))).toEqual(
      expect.arrayContaining(replicas.map((replica) => ({ id: replica.replicaId, live: true }))),
    );
    expect(endpoint.replicas).toHaveLength(2);
  });

  it("both switch to a newly promoted version on the Redis notification", async () => {
    const bytes = randomMlp([64, 32, 10], 20_260_101);
    v2 = await readyVersionFromBytes(modelName, bytes, "digits-random.onnx");
    const { version } = v2;
    // The same interface as the digits model, so clients need not change.
    const specs = (detail: VersionDetail) =>
      [...detail.signature!.inputs, ...detail.signature!.outputs].map(({ name, dtype, shape }) => [
        name,
        dtype,
        shape.slice(1),
      ]);
    expect(specs(v2)).toEqual(specs(v1));
    const file = path.join(config().DATA_DIR, "digits-random.onnx");
    await writeFile(file, bytes);
    v2Expected = await referenceOutputs(file, Float32Array.from(rows.flat()), [ROWS, 64]);
    expect(v2Expected.data).not.toEqual(v1Expected.data);

    expect((await promote(modelName, version, "PRODUCTION")).status).toBe(200);
    await Promise.all(
      replicas.map((replica) =>
        waitUntil(
          async () => (await fetch(`${replica.url}/v2/models/${modelName}/versions/${version}/ready`)).status === 200,
          `replica ${replica.replicaId} to serve version ${version}`,
          10_000,
        ),
      ),
    );
    const [first, second] = await Promise.all(
      replicas.map((replica) => expectServes(replica, modelName, version, v2Expected)),
    );
    expect(second).toEqual(first);
    // Version 1 went to Archived: it is released, not served next to the new one.
    for (const replica of replicas) {
      expect((await fetch(`${replica.url}/v2/models/${modelName}/versions/${v1.version}/ready`)).status).toBe(404);
    }
    await waitUntil(async () => {
      const reported = await reportedStates(v2.id);
      return replicas.every((replica) => reported.get(replica.replicaId)?.model?.state === "READY");
    }, "both replicas to report version 2 READY in serving_replica");
    expect(await getEndpoint(modelName)).toMatchObject({
      status: "READY",
      versions: [{ version, versionId: v2.id, label: "production", state: "READY" }],
    });
  });

  it("a replica stopped with SIGTERM removes its row and the other keeps serving", async () => {
    const [leaving, staying] = replicas as [ServingProcess, ServingProcess];
    expect(await leaving.stop()).toEqual({ code: 0, signal: null });
    expect(leaving.logs.some((line) => line.msg === "serving replica stopped")).toBe(true);
    await expect(fetch(`${leaving.url}/v2/health/live`)).rejects.toThrow();
    expect((await db().servingReplica.findMany()).map((row) => row.id)).toEqual([staying.replicaId]);

    await expectServes(staying, modelName, v2.version, v2Expected);
    expect(staying.isRunning()).toBe(true);

    const endpoint = await getEndpoint(modelName);
    expect(endpoint).toMatchObject({
      status: "READY",
      versions: [{ version: v2.version, label: "production", state: "READY" }],
      replicas: [{ id: staying.replicaId, live: true }],
    });
    expect(endpoint.replicas).toHaveLength(1);
  });
});
