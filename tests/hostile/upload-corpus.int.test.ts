import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { versionSummarySchema, type VersionDetail } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { expectError, storedFiles } from "../fixtures/assertions";
import { uploadDatasetBytes } from "../fixtures/datasets";
import {
  appProcessesForFile,
  startServingProcess,
  startWorkerProcess,
  type AppProcess,
  type ServingProcess,
  testFileEnv,
} from "../fixtures/processes";
import { createModel, DIGITS_ONNX, promote, readyVersion, uploadBytes, waitForValidation } from "../fixtures/registry";
import { csvFeatures, postJson, waitUntil } from "../fixtures/serving";
import { DIGITS_CSV } from "../fixtures/paths";
import { buildCorpus, type CorpusCase } from "./corpus";

/**
 * The hostile upload corpus through the real API, validated by a real worker process, while a real
 * serving replica serves a good model. Every case gets the answer it must get (refused with a reason,
 * or FAILED with a reason), leaves nothing behind, reveals no server path, and after the whole corpus
 * both processes still run, a good model still validates and the deployed one still answers.
 */
appProcessesForFile();

/** Validations run two at a time; the slowest cases (100,000 nodes) take tens of seconds on a busy machine. */
const CASE_TIMEOUT_MS = 150_000;

// Built when the file is collected, so each case is a test of its own (per-file setup has set DATA_DIR).
const markerPath = path.join(
  path.dirname(config().DATA_DIR),
  `modelyard-hostile-marker-${path.basename(config().DATA_DIR)}`,
);
const corpus = buildCorpus({ goodModel: new Uint8Array(await readFile(DIGITS_ONNX)), markerPath });
const refusedCases = corpus.cases.filter((item) => item.expect.outcome === "refused");
const acceptedCases = corpus.cases.filter((item) => item.expect.outcome !== "refused");

let worker: AppProcess;
let replica: ServingProcess;
let served: { modelName: string; rows: number[][]; outputs: unknown };

function processEnv(): Record<string, string> {
  return {
    ...testFileEnv(),
    // The loader's heap limit is lower than the default so a memory bomb cannot starve the machine.
    VALIDATE_MAX_HEAP_MB: "1024",
    VALIDATE_TIMEOUT_MS: "90000",
    WORKER_CONCURRENCY: "2",
    SERVING_SYNC_INTERVAL_MS: "1000",
  };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function infer(modelName: string, rows: number[][]) {
  return postJson(`${replica.url}/v2/models/${modelName}/infer`, {
    inputs: [{ name: "input", shape: [rows.length, 64], datatype: "FP32", data: rows.flat() }],
  });
}

function upload(modelName: string, item: CorpusCase): Promise<Response> {
  if (item.multipartBoundary) {
    return api("POST", `/api/models/${modelName}/versions`, {
      body: item.bytes as Uint8Array<ArrayBuffer>,
      headers: { "content-type": `multipart/form-data; boundary=${item.multipartBoundary}` },
    });
  }
  if (!item.headers) return uploadBytes(modelName, item.bytes, item.filename);
  return api("POST", `/api/models/${modelName}/versions`, {
    body: item.bytes as Uint8Array<ArrayBuffer>,
    headers: {
      "content-type": "application/octet-stream",
      "x-filename": encodeURIComponent(item.filename),
      ...item.headers,
    },
  });
}

/** Messages are for the uploader: no path of the server's (data folder, checkout) may appear in them. */
function expectNoServerPath(message: string): void {
  for (const serverPath of [config().DATA_DIR, config().artifactDir, process.cwd()]) {
    expect(message, `the message reveals ${serverPath}`).not.toContain(serverPath);
  }
}

/** The worker's model loaders still running (its other children, such as tsx's esbuild, are not). */
function loadersOf(pid: number): string[] {
  // ps exits with 1 when the process has no children at all.
  const listing = spawnSync("ps", ["--ppid", String(pid), "-o", "pid=,args="], { encoding: "utf8" }).stdout;
  return listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.includes("load-model-child"));
}

beforeAll(async () => {
  [worker, replica] = await Promise.all([startWorkerProcess(processEnv()), startServingProcess(processEnv())]);

  const model = await createModel();
  const version = await readyVersion(model.name);
  expect((await promote(model.name, version.version, "PRODUCTION")).status).toBe(200);
  const rows = await csvFeatures(DIGITS_CSV, 3);
  const first = await waitUntil(async () => {
    const response = await infer(model.name, rows);
    return response.status === 200 ? response : undefined;
  }, "the replica to serve the good model");
  served = { modelName: model.name, rows, outputs: first.body.outputs };

  // The artifact the external-data cases aim at: another model's dataset in the same store.
  const owner = await createModel();
  const dataset = await uploadDatasetBytes(owner.name, corpus.siblingDataset.bytes, corpus.siblingDataset.filename);
  expect(dataset.status, await dataset.clone().text()).toBe(201);
  expect(await storedFiles()).toContain(corpus.siblingDataset.sha256);
}, 120_000);

describe("uploads refused at the door", () => {
  for (const item of refusedCases) {
    it(`${item.name}: a clear 400, no version, no job, no file`, async () => {
      if (item.expect.outcome !== "refused") throw new Error("not a refused case");
      const model = await createModel();
      const filesBefore = await storedFiles();
      await expectError(await upload(model.name, item), item.expect.status, item.expect.message);
      expect(await db().modelVersion.count({ where: { modelId: model.id } })).toBe(0);
      expect(await db().job.count({ where: { version: { modelId: model.id } } })).toBe(0);
      expect(await storedFiles()).toEqual(filesBefore);
      expect(await db().artifact.count({ where: { sha256: sha256(item.bytes) } })).toBe(
        // The refused good-model uploads share their bytes with the deployed model's artifact.
        filesBefore.includes(sha256(item.bytes)) ? 1 : 0,
      );
    });
  }
});

describe("uploads that validation must settle", () => {
  /**
   * Every accepted case is uploaded up front, so the worker validates them while the tests wait. One
   * upload at a time: this corpus is about what the files hold, not how many arrive at once.
   */
  const uploads = new Map<string, { modelName: string; response: Response }>();
  beforeAll(async () => {
    // Largest first: they take longest to validate, and the rest validate beside them.
    for (const item of [...acceptedCases].sort((a, b) => b.bytes.length - a.bytes.length)) {
      const model = await createModel();
      uploads.set(item.name, { modelName: model.name, response: await upload(model.name, item) });
    }
  }, 120_000);

  for (const item of acceptedCases) {
    it(item.name, { timeout: CASE_TIMEOUT_MS }, async () => {
      const { modelName, response } = uploads.get(item.name)!;
      const body: unknown = await response.json();
      expect(response.status, JSON.stringify(body)).toBe(202);
      const { version } = versionSummarySchema.parse(body);
      const detail = await waitForValidation(modelName, version, CASE_TIMEOUT_MS - 10_000);
      const message = detail.statusMessage ?? "";
      expectNoServerPath(message);

      switch (item.expect.outcome) {
        case "failed":
          expect(detail.status, `validated ${detail.status}: ${message}`).toBe("FAILED");
          expect(message).toMatch(item.expect.message);
          if (item.expect.format) expect(detail.format).toBe(item.expect.format);
          await expectFailedEverywhere(modelName, detail);
          break;
        case "failedOrHarmless":
          if (detail.status === "READY") await expectServesNoSecret(modelName, detail.version, item.expect);
          else {
            expect(detail.status, message).toBe("FAILED");
            expect(message).toMatch(item.expect.message);
            await expectFailedEverywhere(modelName, detail);
          }
          break;
        case "settles":
          if (detail.status === "FAILED") {
            expect(message).toMatch(item.expect.failedMessage);
            await expectFailedEverywhere(modelName, detail);
          } else expect(detail.status).toBe("READY");
          break;
        case "ready":
          expect(detail.status, message).toBe("READY");
          break;
        case "refused":
          throw new Error("refused cases are tested above");
      }
    });
  }
});

/** Deploys a version that validated READY and checks that its output does not carry the secret bytes. */
async function expectServesNoSecret(
  modelName: string,
  version: number,
  expectation: { leakOutput: string; secret: Uint8Array },
): Promise<void> {
  expect((await promote(modelName, version, "PRODUCTION")).status).toBe(200);
  const answer = await waitUntil(async () => {
    const response = await postJson(`${replica.url}/v2/models/${modelName}/infer`, {
      inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [1] }],
    });
    return response.status === 200 ? response : undefined;
  }, `${modelName} v${version} to answer`);
  const outputs = answer.body.outputs as { name: string; data: number[] }[];
  const leaked = Float32Array.from(outputs.find((output) => output.name === expectation.leakOutput)?.data ?? []);
  const servedBytes = Buffer.from(leaked.buffer);
  expect(
    servedBytes.includes(Buffer.from(expectation.secret)),
    `the model serves the sibling artifact's bytes: ${servedBytes.toString("latin1").slice(0, 64)}`,
  ).toBe(false);
}

/** A failed version says why on its job too, and cannot be promoted. */
async function expectFailedEverywhere(modelName: string, detail: VersionDetail): Promise<void> {
  const jobs = await db().job.findMany({ where: { versionId: detail.id } });
  expect(jobs.map((job) => [job.state, job.error])).toEqual([["FAILED", detail.statusMessage]]);
  await expectError(await promote(modelName, detail.version, "PRODUCTION"), 409, /failed validation/);
}

describe("after the corpus", () => {
  it("every process still runs, nothing was written outside the store, and the platform still serves", async () => {
    expect(worker.isRunning(), "the worker died").toBe(true);
    expect(replica.isRunning(), "the serving replica died").toBe(true);
    expect(worker.logs.filter((line) => line.level >= 60)).toEqual([]);
    await waitUntil(() => loadersOf(worker.pid).length === 0, "the model loaders to exit", 10_000).catch(() => {
      expect(loadersOf(worker.pid), "model loaders left running").toEqual([]);
    });
    expect(existsSync(markerPath), `${markerPath} was created`).toBe(false);

    // Every stored file belongs to an artifact row, and every artifact row has its file.
    const artifacts = (await db().artifact.findMany({ select: { sha256: true } })).map((row) => row.sha256).sort();
    expect((await storedFiles()).sort()).toEqual(artifacts);

    const model = await createModel();
    expect((await readyVersion(model.name)).status).toBe("READY");
    const answer = await infer(served.modelName, served.rows);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.outputs).toEqual(served.outputs);
  }, 60_000);
});
