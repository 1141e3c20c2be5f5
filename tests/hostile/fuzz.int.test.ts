import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { mulberry32 } from "@/lib/onnx";
import { inspectModelFile, type ModelFileReport } from "@/worker/jobs/validate/inspect-in-child";
import { appProcessesForFile, startServingProcess, type ServingProcess, testFileEnv } from "../fixtures/processes";
import {
  BREAST_CANCER_ONNX,
  createModel,
  DIGITS_ONNX,
  promote,
  readyVersion,
  readyVersionFromBytes,
} from "../fixtures/registry";
import { csvFeatures, waitUntil } from "../fixtures/serving";
import { DIGITS_CSV } from "../fixtures/paths";
import { startValidateWorkerForFile } from "../fixtures/worker";
import { incompressibleText, mutateOnnx, mutateRequest, pick, type HttpCase, type RequestDraft } from "./mutations";
import { DataType, identityModel } from "./onnx-bytes";

/**
 * A bounded fuzz test with a fixed seed.
 *
 * (a) Mutated copies of the fixture ONNX models (bit flips, truncation, duplicated or deleted fields,
 *     edited varints and lengths) go through validation's loader: every outcome is a report, ok or
 *     with a message (a crash of the loader's child is a reported outcome), never a rejection.
 * (b) Mutated V2 and TF Serving requests (ids, shapes, datatypes, names, nesting, values, encodings)
 *     go to a real serving replica process: every answer is a success or a 4xx JSON error, never a
 *     5xx or a dropped connection (and a body a cross-site page can send, text/plain or a form with
 *     its Origin, is refused), and the replica still answers a valid request, and logs its
 *     prediction, at the end.
 *
 * Case n of a run uses mulberry32(seed + n), so a failure replays from its seed and number.
 *   FUZZ_SEED=<integer>   another seed (default 20261204)
 *   FUZZ_SECONDS=<n>      run each part for n seconds instead of the fixed case counts
 *   FUZZ_CASE=<n>         run only case n of each part (to replay a failure)
 * e.g. FUZZ_SECONDS=600 FUZZ_SEED=7 npx vitest run tests/hostile/fuzz.int.test.ts
 */
startValidateWorkerForFile();
appProcessesForFile();

const SEED = Number(process.env.FUZZ_SEED ?? 20261204) >>> 0;
const SECONDS = process.env.FUZZ_SECONDS ? Number(process.env.FUZZ_SECONDS) : null;
const ONLY_CASE = process.env.FUZZ_CASE ? Number(process.env.FUZZ_CASE) : null;
/** Fixed counts for the normal suite: together well under a minute on two busy cores. */
const ONNX_CASES = 48;
const REQUEST_CASES = 1_500;
const LOADER_CONCURRENCY = 2;
const LOADER_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** Replicas restarted after one died, before the run stops: each death is already a failure. */
const MAX_REPLICA_RESTARTS = 3;

const partTimeout = (normalMs: number) => (SECONDS ? SECONDS * 1000 + 120_000 : normalMs);

/** Case numbers to run: one, a fixed count, or as many as fit in FUZZ_SECONDS. */
function caseNumbers(fixedCount: number): () => number | null {
  let next = 0;
  const deadline = SECONDS ? Date.now() + SECONDS * 1000 : Infinity;
  return () => {
    if (ONLY_CASE !== null) return next++ === 0 ? ONLY_CASE : null;
    if (SECONDS ? Date.now() > deadline : next >= fixedCount) return null;
    return next++;
  };
}

const caseRandom = (caseNumber: number) => mulberry32((SEED + caseNumber) >>> 0);

interface Failure {
  caseNumber: number;
  description: string;
  what: string;
}

function report(part: string, ran: number, failures: Failure[]): string {
  const lines = failures
    .slice(0, 25)
    .map((failure) => `  case ${failure.caseNumber}: ${failure.description}\n    → ${failure.what}`);
  const more = failures.length > 25 ? `\n  … and ${failures.length - 25} more` : "";
  return `${part}: ${failures.length} of ${ran} cases failed (FUZZ_SEED=${SEED}; replay one with FUZZ_CASE=n)\n${lines.join("\n")}${more}`;
}

/** The type curl -d sends. */
const FORM_TYPE = "application/x-www-form-urlencoded";

describe("fuzzed ONNX files through validation's loader", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "modelyard-fuzz-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it(
    "reports every mutation as ok or with a message, and never rejects",
    async () => {
      const fixtures = await Promise.all(
        [DIGITS_ONNX, BREAST_CANCER_ONNX].map(async (file) => ({
          name: path.basename(file),
          bytes: new Uint8Array(await readFile(file)),
        })),
      );
      const next = caseNumbers(ONNX_CASES);
      const failures: Failure[] = [];
      const outcomes = new Map<string, number>();
      let ran = 0;

      const runCases = async () => {
        for (let caseNumber = next(); caseNumber !== null; caseNumber = next()) {
          const random = caseRandom(caseNumber);
          const fixture = pick(random, fixtures);
          const mutated = mutateOnnx(fixture.bytes, random);
          const description = `${fixture.name}: ${mutated.description}`;
          const filePath = path.join(directory, `case-${caseNumber}.onnx`);
          await writeFile(filePath, mutated.value);
          ran += 1;
          let result: ModelFileReport;
          try {
            result = await inspectModelFile(filePath, { timeoutMs: LOADER_TIMEOUT_MS, maxOldSpaceMb: 512 });
          } catch (error) {
            failures.push({ caseNumber, description, what: `rejected: ${(error as Error).message}` });
            continue;
          } finally {
            await rm(filePath, { force: true });
          }
          const problem = reportProblem(result, directory);
          if (problem) failures.push({ caseNumber, description, what: problem });
          const outcome = result.ok ? "ok" : result.message.replace(/\d+/g, "N").slice(0, 50);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: LOADER_CONCURRENCY }, runCases));

      console.info(
        `ONNX fuzz: ${ran} cases (seed ${SEED}); outcomes:\n${[...outcomes].map(([outcome, count]) => `  ${count} × ${outcome}`).join("\n")}`,
      );
      expect(ran).toBeGreaterThan(0);
      expect(failures, report("ONNX fuzz", ran, failures)).toEqual([]);
    },
    partTimeout(120_000),
  );
});

/** What is wrong with a loader report, if anything. */
function reportProblem(result: ModelFileReport, directory: string): string | null {
  if (result.ok) return null;
  if (typeof result.message !== "string" || result.message.trim() === "") return "a failure without a message";
  if (result.message.includes(directory)) return `the message reveals the file's path: ${result.message}`;
  return null;
}

// ---------------------------------------------------------------------------------------------------

/** The identity model's inputs: one of each protocol datatype, each with a batch dimension. */
const IDENTITY_TENSORS = [
  { name: "f", elemType: DataType.FLOAT, v2: "FP32", inner: [3], row: [0.5, -1, 2] },
  { name: "i", elemType: DataType.INT64, v2: "INT64", inner: [2], row: [-3, 9_007_199_254_740_991] },
  { name: "b", elemType: DataType.BOOL, v2: "BOOL", inner: [], row: true },
  { name: "s", elemType: DataType.STRING, v2: "BYTES", inner: [], row: "héllo" },
  { name: "h", elemType: DataType.FLOAT16, v2: "FP16", inner: [2], row: [0.5, 65504] },
  { name: "u", elemType: DataType.UINT8, v2: "UINT8", inner: [], row: 255 },
  { name: "n", elemType: DataType.INT32, v2: "INT32", inner: [], row: -2_147_483_648 },
  { name: "d", elemType: DataType.DOUBLE, v2: "FP64", inner: [], row: Math.PI },
  { name: "k", elemType: DataType.INT8, v2: "INT8", inner: [], row: -128 },
] as const;
const BATCH = 2;

function baseRequests(digitsModel: string, identityModelName: string, rows: number[][]): RequestDraft[] {
  const json = { "content-type": "application/json" };
  const v2 = (name: string) => `/v2/models/${name}/infer`;
  const tf = (name: string) => `/v1/models/${name}:predict`;
  const repeatRow = <T>(row: T) => Array.from({ length: BATCH }, () => row);
  return [
    {
      path: v2(digitsModel),
      headers: json,
      json: { id: "fuzz-flat", inputs: [{ name: "input", shape: [2, 64], datatype: "FP32", data: rows.flat() }] },
    },
    {
      path: v2(digitsModel),
      headers: json,
      json: {
        id: "fuzz-nested",
        inputs: [{ name: "input", shape: [2, 64], datatype: "FP32", data: rows }],
        outputs: [{ name: "output" }],
      },
    },
    {
      path: v2(identityModelName),
      headers: json,
      json: {
        id: "fuzz-types",
        inputs: IDENTITY_TENSORS.map((tensor) => ({
          name: tensor.name,
          datatype: tensor.v2,
          shape: [BATCH, ...tensor.inner],
          data: repeatRow(tensor.row),
        })),
      },
    },
    { path: tf(digitsModel), headers: json, json: { instances: rows } },
    { path: tf(digitsModel), headers: json, json: { signature_name: "serving_default", inputs: rows } },
    {
      path: tf(identityModelName),
      headers: json,
      json: {
        instances: repeatRow(
          Object.fromEntries(
            IDENTITY_TENSORS.map((tensor) => [tensor.name, tensor.name === "s" ? { b64: "aMOpbGxv" } : tensor.row]),
          ),
        ),
      },
    },
    {
      path: tf(identityModelName),
      headers: json,
      json: { inputs: Object.fromEntries(IDENTITY_TENSORS.map((tensor) => [tensor.name, repeatRow(tensor.row)])) },
    },
  ];
}

type Answer = { ok: true; status: number } | { ok: false; what: string };

/** Sends one case; anything but a success or a 4xx JSON error is a failure, described. */
async function send(replica: ServingProcess, request: HttpCase): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(`${replica.url}${request.path}`, {
      method: "POST",
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return { ok: false, what: `no answer: ${(error as Error).message}${cause ? ` (${cause.message})` : ""}` };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { ok: false, what: `${response.status}, then the body broke off: ${(error as Error).message}` };
  }
  const preview = text.slice(0, 200);
  const isClientError = response.status >= 400 && response.status < 500;
  if (response.status !== 200 && !isClientError) return { ok: false, what: `${response.status} ${preview}` };
  if (!response.headers.get("content-type")?.includes("application/json")) {
    return { ok: false, what: `${response.status} without a JSON content type: ${preview}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, what: `${response.status} with a body that is not JSON: ${preview}` };
  }
  // What a cross-site page can send (a text/plain body, a form with its Origin) must not run a model:
  // refused, whichever 4xx. A form body from a script (curl -d's default type) is read as JSON.
  const mediaType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const fromBrowser = request.headers["origin"] !== undefined || request.headers["sec-fetch-site"] !== undefined;
  const jsonAccepted = mediaType === "application/json" || (mediaType === FORM_TYPE && !fromBrowser);
  if (!jsonAccepted && !isClientError) {
    return { ok: false, what: `${response.status} to a ${mediaType || "untyped"} body: ${preview}` };
  }
  if (isClientError) {
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error !== "string" || error.trim() === "") {
      return { ok: false, what: `${response.status} without an error message: ${preview}` };
    }
  }
  return { ok: true, status: response.status };
}

describe("fuzzed inference requests to a serving replica", () => {
  let replica: ServingProcess;
  let bases: RequestDraft[];

  const replicaEnv = () => {
    return {
      ...testFileEnv(),
      SERVING_SYNC_INTERVAL_MS: "1000",
      SERVING_MAX_BODY_BYTES: String(2 * 1024 * 1024),
      SERVING_PREDICTIONS_FLUSH_MS: "200",
    };
  };

  /** Waits until every base request succeeds: the replica serves both models. */
  async function waitUntilServing(): Promise<void> {
    for (const base of bases) {
      const request = {
        path: base.path,
        headers: base.headers,
        body: new TextEncoder().encode(JSON.stringify(base.json)),
      };
      await waitUntil(
        async () => {
          const answer = await send(replica, request);
          return answer.ok && answer.status === 200;
        },
        `the replica to answer ${base.path}`,
        30_000,
      );
    }
  }

  /**
   * A request whose id the database cannot index (3,000 characters) must not stop the logging of
   * the requests after it: the next one's prediction still lands.
   */
  async function expectPredictionsStillLogged(): Promise<void> {
    const digits = bases[0]!;
    const withId = (id: string) => ({
      path: digits.path,
      headers: digits.headers,
      body: new TextEncoder().encode(JSON.stringify({ ...(digits.json as object), id })),
    });
    const longId = await send(replica, withId(incompressibleText(3000, mulberry32(SEED))));
    expect(longId.ok, longId.ok ? "" : longId.what).toBe(true);
    const requestId = `after-the-fuzz-${SEED}`;
    const answer = await send(replica, withId(requestId));
    expect(answer, answer.ok ? "" : answer.what).toEqual({ ok: true, status: 200 });
    await waitUntil(
      async () => (await db().predictionLog.count({ where: { requestId } })) > 0,
      "the prediction of the request after a 3,000-character id to be logged",
      15_000,
    );
  }

  beforeAll(async () => {
    replica = await startServingProcess(replicaEnv());
    const digits = await createModel();
    const identity = await createModel();
    const [digitsVersion, identityVersion] = await Promise.all([
      readyVersion(digits.name),
      readyVersionFromBytes(
        identity.name,
        identityModel(
          IDENTITY_TENSORS.map((tensor) => ({
            name: tensor.name,
            elemType: tensor.elemType,
            dims: ["batch", ...tensor.inner],
          })),
        ),
      ),
    ]);
    expect((await promote(digits.name, digitsVersion.version, "PRODUCTION")).status).toBe(200);
    expect((await promote(identity.name, identityVersion.version, "PRODUCTION")).status).toBe(200);
    bases = baseRequests(digits.name, identity.name, await csvFeatures(DIGITS_CSV, 2));
    await waitUntilServing();
  }, 120_000);

  it(
    "answers every mutation with a success or a 4xx JSON error, and stays up",
    async () => {
      const next = caseNumbers(REQUEST_CASES);
      const failures: Failure[] = [];
      const statuses = new Map<number, number>();
      let ran = 0;
      let restarts = 0;
      for (let caseNumber = next(); caseNumber !== null; caseNumber = next()) {
        const random = caseRandom(caseNumber);
        const base = pick(random, bases);
        const mutated = mutateRequest(base, random);
        ran += 1;
        const answer = await send(replica, mutated.value);
        if (answer.ok) {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          continue;
        }
        const description = `POST ${mutated.value.path.slice(0, 120)}: ${mutated.description}`;
        // A dropped connection is often the replica dying; give the exit a moment to be seen.
        await Promise.race([replica.exited, new Promise((resolve) => setTimeout(resolve, 300))]);
        if (replica.isRunning()) {
          failures.push({ caseNumber, description, what: answer.what });
          continue;
        }
        const status = await replica.exited;
        const lastError = replica.logs.findLast((line) => line.level >= 50)?.msg ?? "";
        failures.push({
          caseNumber,
          description,
          what: `${answer.what}; the replica died (${JSON.stringify(status)}) ${lastError}`,
        });
        if (restarts === MAX_REPLICA_RESTARTS) break;
        restarts += 1;
        replica = await startServingProcess(replicaEnv());
        await waitUntilServing();
      }

      console.info(
        `request fuzz: ${ran} cases (seed ${SEED}), ${restarts} replica restarts; statuses: ${[...statuses].map(([status, count]) => `${status} × ${count}`).join(", ")}`,
      );
      // Soft, so a run with failures still shows whether a replica serves and logs afterwards.
      expect.soft(failures, report("request fuzz", ran, failures)).toEqual([]);
      if (!replica.isRunning()) replica = await startServingProcess(replicaEnv());
      await waitUntilServing();
      await expectPredictionsStillLogged();
    },
    partTimeout(180_000),
  );
});
