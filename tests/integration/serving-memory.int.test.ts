import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { replicaModelsSchema, type ReplicaModel } from "@/lib/serving/schemas";
import { api } from "../fixtures/api";
import { identityModel, repeatedWordsModel } from "../fixtures/memory-models";
import { appProcessesForFile, startServingProcess, type ServingProcess, testFileEnv } from "../fixtures/processes";
import {
  createModel,
  DIGITS_ONNX,
  FIXTURE_MODELS,
  promote,
  readyVersion,
  readyVersionFromBytes,
  uploadBytes,
  waitForValidation,
} from "../fixtures/registry";
import { csvFeatures, postJson, waitUntil } from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";
import { versionSummarySchema } from "@/lib/registry/schemas";

/**
 * What a model can ask of a serving replica is set by its shapes and ops, not its file size: a
 * 200-byte Identity model can ask for 4 GiB per request. Validation refuses what one request could
 * never fit, the replica checks again before allocating anything, and a session that runs out of
 * memory anyway dies alone: its version is failed with the reason, every other model keeps
 * answering, and it is not loaded again until it is promoted or redeployed. A real replica process,
 * with a small session heap so that real models exhaust it.
 */
startValidateWorkerForFile();
appProcessesForFile();

const SESSION_HEAP_MB = 64;
let replica: ServingProcess;
let env: Record<string, string>;
let digits: { modelName: string; rows: number[][] };

const MiB = 1024 ** 2;
const IDENTITY_REFUSAL =
  "one request to this model needs 4 GiB of input (input 'x' is float32 [32768, 32768]); " +
  "the limit is 256 MiB (MAX_REQUEST_TENSOR_BYTES)";

beforeAll(async () => {
  env = {
    ...testFileEnv(),
    SERVING_SESSION_HEAP_MB: String(SESSION_HEAP_MB),
    // Frequent syncs: each is a chance to load a failed version again, which must not happen.
    SERVING_SYNC_INTERVAL_MS: "500",
  };
  replica = await startServingProcess(env);
  const model = await createModel();
  const version = await readyVersion(model.name, DIGITS_ONNX);
  expect((await promote(model.name, version.version, "PRODUCTION")).status).toBe(200);
  digits = { modelName: model.name, rows: await csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), 2) };
  await waitForDigits();
}, 90_000);

const waitForDigits = () =>
  waitUntil(
    async () => (await fetch(`${replica.url}/v2/models/${digits.modelName}/ready`)).status === 200,
    "the replica to serve the digits model",
  );

afterAll(async () => {
  await replica?.stop();
});

/** The digits model answers on the replica, correctly shaped. */
async function expectDigitsAnswer(target: ServingProcess = replica) {
  const response = await postJson(`${target.url}/v2/models/${digits.modelName}/infer`, {
    inputs: [{ name: "input", shape: [2, 64], datatype: "FP32", data: digits.rows.flat() }],
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect((response.body.outputs as { shape: number[] }[])[0]!.shape).toEqual([2, 10]);
}

/** What the replica last wrote to serving_replica about a version. */
async function reportedState(target: ServingProcess, versionId: string): Promise<ReplicaModel | undefined> {
  const row = await db().servingReplica.findUnique({ where: { id: target.replicaId } });
  return row ? replicaModelsSchema.parse(row.models).find((model) => model.versionId === versionId) : undefined;
}

/** Resident memory of a process, from /proc (Linux). */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** The log lines in which the replica says it tried to load the version and could not. */
const loadFailures = (target: ServingProcess, version: { modelName: string; version: number }) =>
  target.logs.filter(
    (line) =>
      line.model === version.modelName &&
      line.version === version.version &&
      typeof line.msg === "string" &&
      line.msg.startsWith("version refused"),
  );

/** Uploads bytes as a version, then makes it READY and promotes it, as a version validated before today's rules. */
async function readyWithoutValidation(modelName: string, bytes: Uint8Array, signature: object) {
  const response = await uploadBytes(modelName, bytes);
  expect(response.status).toBe(202);
  const { version, id } = versionSummarySchema.parse(await response.json());
  await waitForValidation(modelName, version);
  await db().modelVersion.update({
    where: { id },
    data: { status: "READY", statusMessage: null, format: "ONNX", signature },
  });
  expect((await promote(modelName, version, "PRODUCTION")).status).toBe(200);
  return { modelName, version, id };
}

describe("a model whose requests need more memory than serving gives", () => {
  it("is refused by validation, saying what one request needs and which setting limits it", async () => {
    const model = await createModel();
    const response = await uploadBytes(model.name, identityModel([32768, 32768]), "identity.onnx");
    expect(response.status).toBe(202);
    const detail = await waitForValidation(model.name, versionSummarySchema.parse(await response.json()).version);
    expect(detail.status).toBe("FAILED");
    expect(detail.statusMessage).toBe(IDENTITY_REFUSAL);
    expect((await promote(model.name, detail.version, "PRODUCTION")).status).toBe(409);
  });

  it("is refused at load when it was READY already, without the replica's memory growing, and not loaded again after a restart", async () => {
    const model = await createModel();
    const rssBefore = await rssBytes(replica.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      void rssBytes(replica.pid).then(
        (rss) => (rssPeak = Math.max(rssPeak, rss)),
        () => undefined,
      );
    }, 25);
    try {
      const shape = [32768, 32768];
      const version = await readyWithoutValidation(model.name, identityModel(shape), {
        inputs: [{ name: "x", dtype: "float32", shape }],
        outputs: [{ name: "y", dtype: "float32", shape }],
      });
      const failed = await waitUntil(async () => {
        const state = await reportedState(replica, version.id);
        return state?.state === "FAILED" && state;
      }, "the replica to report the version failed");
      expect(failed.message).toBe(IDENTITY_REFUSAL);
      // The endpoint says so too, and its requests get the reason, not a hang or a dead replica.
      const answer = await postJson(`${replica.url}/v2/models/${model.name}/infer`, {
        inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [0] }],
      });
      expect(answer.status).toBe(503);
      expect(answer.body.error).toContain(IDENTITY_REFUSAL);
      await expectDigitsAnswer();
      expect(loadFailures(replica, version)).toHaveLength(1);

      // Several syncs later it was not tried again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(loadFailures(replica, version)).toHaveLength(1);
      clearInterval(sampler);
      // Allocating the sample would have taken 4 GiB; nothing near that was allocated.
      console.info(`replica RSS growth while refusing the version: ${Math.round((rssPeak - rssBefore) / MiB)} MiB`);
      expect(rssPeak - rssBefore).toBeLessThan(200 * MiB);

      // A restarted replica knows, from the database, and does not try either.
      await replica.stop();
      replica = await startServingProcess(env);
      const remembered = await waitUntil(async () => {
        const state = await reportedState(replica, version.id);
        return state?.state === "FAILED" && state;
      }, "the restarted replica to report the version failed");
      expect(remembered.message).toBe(IDENTITY_REFUSAL);
      expect(loadFailures(replica, version)).toHaveLength(0);
      await waitForDigits();
      await expectDigitsAnswer();
    } finally {
      clearInterval(sampler);
    }
  });
});

describe("a session that runs out of memory", () => {
  it("ends alone: its version is failed with the reason, every other model keeps answering, and it is retried only when redeployed", async () => {
    // Identity over 4 million strings: within MAX_REQUEST_TENSOR_BYTES (8 bytes a string), so it
    // validates, but its warm-up alone makes more strings than a 64 MB session heap holds.
    const model = await createModel();
    const version = await readyVersionFromBytes(model.name, identityModel([4_000_000], "string"), "strings.onnx");
    const ref = { modelName: model.name, version: version.version };
    expect((await promote(model.name, version.version, "PRODUCTION")).status).toBe(200);

    const failed = await waitUntil(
      async () => {
        const state = await reportedState(replica, version.id);
        return state?.state === "FAILED" && { ...state, seenAt: Date.now() };
      },
      "the replica to report the version failed",
      60_000,
    );
    const reason = `the session process ran out of memory (limit ${SESSION_HEAP_MB} MB, SERVING_SESSION_HEAP_MB)`;
    expect(failed.message).toBe(`the warm-up inference on a zero-filled sample failed: ${reason}`);
    const [refused] = loadFailures(replica, ref);
    // From the session's death (the replica logs it as it hears of it) to the dashboard's row.
    console.info(`session death to reported FAILED: ${failed.seenAt - Date.parse(String(refused!.time))} ms`);
    expect(replica.isRunning()).toBe(true);
    await expectDigitsAnswer();

    // The endpoint page says why.
    const endpoint = (await (await api("GET", `/api/models/${model.name}/endpoint`)).json()) as {
      status: string;
      statusMessage: string;
    };
    expect(endpoint.status).toBe("FAILED");
    expect(endpoint.statusMessage).toContain(reason);

    // Syncs every 500 ms: none of them loads it again.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(loadFailures(replica, ref)).toHaveLength(1);

    // A redeploy is a person asking for another try.
    expect((await api("POST", `/api/models/${model.name}/endpoint`, { json: {} })).status).toBe(200);
    await waitUntil(() => loadFailures(replica, ref).length === 2, "the redeployed version to be tried again", 60_000);
    expect(replica.isRunning()).toBe(true);
    await expectDigitsAnswer();
  }, 120_000);

  it("while serving a request: that request gets a JSON 503, the others keep answering, and the version comes back", async () => {
    // Tile of the request's word: the zero-filled warm-up repeats it 0 times, a request 3 million.
    const model = await createModel();
    const version = await readyVersionFromBytes(model.name, repeatedWordsModel(), "words.onnx");
    expect((await promote(model.name, version.version, "PRODUCTION")).status).toBe(200);
    const ready = () =>
      fetch(`${replica.url}/v2/models/${model.name}/ready`).then((response) => response.status === 200);
    await waitUntil(ready, "the replica to serve the words model", 60_000);
    const ask = (repeats: number) =>
      postJson(`${replica.url}/v2/models/${model.name}/infer`, {
        inputs: [
          { name: "words", shape: [1], datatype: "BYTES", data: ["hello"] },
          { name: "repeats", shape: [1], datatype: "INT64", data: [repeats] },
        ],
      });
    const small = await ask(2);
    expect(small.status, JSON.stringify(small.body)).toBe(200);
    expect((small.body.outputs as { data: string[] }[])[0]!.data).toEqual(["hello", "modelyard", "hello", "modelyard"]);

    const [killer] = await Promise.all([ask(3_000_000), expectDigitsAnswer()]);
    expect(killer.status).toBe(503);
    expect(killer.body.error).toBe(
      `the session process ran out of memory (limit ${SESSION_HEAP_MB} MB, SERVING_SESSION_HEAP_MB)`,
    );
    expect(replica.isRunning()).toBe(true);
    await expectDigitsAnswer();
    const failed = await waitUntil(async () => {
      const state = await reportedState(replica, version.id);
      return state?.state === "FAILED" && { ...state, seenAt: Date.now() };
    }, "the replica to report the version failed");
    expect(failed.message).toContain("ran out of memory");
    const died = replica.logs.find((line) => line.msg.startsWith("session died while serving"));
    console.info(`session death (serving) to reported FAILED: ${failed.seenAt - Date.parse(String(died!.time))} ms`);

    // A request may be what killed it, so it is loaded again (after a delay that doubles each time).
    await waitUntil(ready, "the version to be loaded again", 30_000);
    expect((await ask(1)).status).toBe(200);
  }, 120_000);
});
