import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { artifactStore } from "@/lib/artifacts";
import { randomMlp } from "@/lib/onnx";
import { getEndpoint, updateDeploymentSettings } from "@/lib/serving/deployments";
import { api } from "../fixtures/api";
import {
  createModel,
  DIGITS_ONNX,
  promote,
  readyVersion,
  readyVersionFromBytes,
  FIXTURE_MODELS,
} from "../fixtures/registry";
import {
  csvFeatures,
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

type V2Body = { model_version?: string; outputs?: { data: number[] }[]; error?: string };

const v2Input = (data: number[], rows = 1, features = 64, datatype = "FP32") => ({
  inputs: [{ name: "input", shape: [rows, features], datatype, data }],
});

describe("bad requests get a clear error and leave the replica serving", () => {
  it("names the problem for every kind of bad input", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    const infer = `${replica().url}/v2/models/${model.name}/infer`;
    const zeros = new Array<number>(64).fill(0);
    const cases: [string, unknown, number, RegExp][] = [
      [
        infer,
        { inputs: [{ name: "pixels", shape: [1, 64], datatype: "FP32", data: zeros }] },
        400,
        /unknown input 'pixels'.*'input'/,
      ],
      [
        infer,
        v2Input(zeros.slice(0, 63), 1, 63),
        400,
        /input 'input' has shape \[1, 63\] but the model expects \[batch, 64\]/,
      ],
      [infer, v2Input(zeros, 1, 64, "INT64"), 400, /input 'input' has type INT64 but the model expects FP32/],
      [infer, v2Input(zeros.slice(1), 1, 64), 400, /input 'input' has 63 values but its shape \[1, 64\] needs 64/],
      [infer, v2Input([...zeros.slice(1), "x" as unknown as number]), 400, /element 63 is "x", expected a number/],
      [infer, v2Input(zeros, 1, 64, "FLOAT"), 400, /datatype 'FLOAT', which is not a KServe V2 datatype/],
      [infer, { inputs: [] }, 400, /'inputs' must be a non-empty list/],
      [infer, "{not json", 400, /malformed JSON/],
      [infer, "", 400, /body is empty/],
      [
        `${replica().url}/v2/models/no-such-model/infer`,
        v2Input(zeros),
        404,
        /model 'no-such-model' is not served here/,
      ],
      [`${replica().url}/v2/models/%E0%A4%A/infer`, v2Input(zeros), 400, /'%E0%A4%A' is not a valid URL path segment/],
      [
        `${replica().url}/v2/models/${model.name}/versions/99/infer`,
        v2Input(zeros),
        404,
        /version 99 .* is not deployed; deployed: version 1 \(production\)/,
      ],
      [
        `${replica().url}/v2/models/${model.name}/versions/latest/infer`,
        v2Input(zeros),
        400,
        /version 'latest' is not a positive integer/,
      ],
      [
        `${replica().url}/v1/models/${model.name}/labels/canary:predict`,
        { instances: [zeros] },
        404,
        /label 'canary' is not known/,
      ],
      [
        `${replica().url}/v1/models/${model.name}/labels/staging:predict`,
        { instances: [zeros] },
        404,
        /has no staging version deployed/,
      ],
      [
        `${replica().url}/v1/models/${model.name}:predict`,
        { instances: [zeros.slice(2)] },
        400,
        /shape \[1, 62\] but the model expects \[batch, 64\]/,
      ],
      [
        `${replica().url}/v1/models/${model.name}:predict`,
        { instances: [zeros, zeros.slice(1)] },
        400,
        /ragged: instances\[1\] has 63 elements where 64 were expected/,
      ],
      [
        `${replica().url}/v1/models/${model.name}:predict`,
        { instances: [zeros], inputs: [zeros] },
        400,
        /either 'instances'.*or 'inputs'/,
      ],
      [`${replica().url}/v1/models/${model.name}:predict`, { examples: [] }, 400, /needs 'instances'/],
    ];
    for (const [url, body, status, message] of cases) {
      const response = await postJson(url, body);
      expect({ url, body: response.body, status: response.status }).toMatchObject({
        status,
        body: { error: expect.stringMatching(message) },
      });
    }
    const wrongMethod = await fetch(infer);
    expect(wrongMethod.status).toBe(405);
    const noRoute = await fetch(`${replica().url}/v3/models`);
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toEqual({ error: expect.stringMatching(/no route for GET \/v3\/models/) });

    const fine = await postJson(infer, v2Input(zeros));
    expect(fine.status).toBe(200);
  });

  it("answers 413 for bodies over the limit, as soon as the size is known", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    const huge = JSON.stringify(v2Input(new Array<number>(64 * 40_000).fill(0.5), 40_000));
    expect(huge.length).toBeGreaterThan(1024 * 1024);
    const response = await postJson(`${replica().url}/v2/models/${model.name}/infer`, huge);
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/larger than 1048576 bytes/);
    const after = await postJson(`${replica().url}/v2/models/${model.name}/infer`, v2Input(new Array(64).fill(0)));
    expect(after.status).toBe(200);
  });

  it("answers 503 with Retry-After when the queue is full, and 504 when a request times out", async () => {
    const model = await createModel();
    // Runs must be slower than parsing the next requests, even when the session thread goes straight
    // from one batch to the next: 4.7 M multiply-adds per row against 256 values to parse.
    const heavy = await readyVersionFromBytes(model.name, randomMlp([256, 2048, 2048, 10], 7));
    expect((await promote(model.name, heavy.version, "PRODUCTION")).status).toBe(200);
    await updateDeploymentSettings(model.name, { maxBatchSize: 1, maxQueueSize: 2, requestTimeoutMs: 100_000 });
    await waitForServed(replica(), model.name, heavy.version);
    const rows = 512;
    const body = {
      inputs: [{ name: "input", shape: [rows, 256], datatype: "FP32", data: new Array(rows * 256).fill(0.1) }],
    };
    const url = `${replica().url}/v2/models/${model.name}/infer`;
    const burst = await Promise.all(Array.from({ length: 12 }, () => postJson(url, body)));
    const statuses = burst.map((response) => response.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    const rejected = burst.find((response) => response.status === 503)!;
    expect(rejected.headers.get("retry-after")).toBe("1");
    expect(rejected.body.error).toMatch(/queue is full \(2 requests waiting\)/);

    await updateDeploymentSettings(model.name, { maxQueueSize: 100, requestTimeoutMs: 100 });
    await replica().sync();
    const slow = await Promise.all(Array.from({ length: 12 }, () => postJson(url, body)));
    expect(slow.map((response) => response.status)).toContain(504);
    expect(slow.find((response) => response.status === 504)!.body.error).toMatch(/did not finish within 100 ms/);
  });
});

describe("routing", () => {
  it("sends requests to Production by default, and to Staging or a version number when asked", async () => {
    const model = await createModel();
    const first = await readyVersion(model.name, DIGITS_ONNX);
    const second = await readyVersionFromBytes(model.name, randomMlp([64, 32, 10], 11));
    expect((await promote(model.name, first.version, "PRODUCTION")).status).toBe(200);
    expect((await promote(model.name, second.version, "STAGING")).status).toBe(200);
    await waitForServed(replica(), model.name, second.version, "staging");
    await waitForServed(replica(), model.name, first.version, "production");
    const body = v2Input(new Array(64).fill(0.25));
    const versionOf = async (url: string) => ((await postJson(url, body)).body as V2Body).model_version;
    const base = `${replica().url}/v2/models/${model.name}`;
    expect(await versionOf(`${base}/infer`)).toBe(String(first.version));
    expect(await versionOf(`${base}/versions/${second.version}/infer`)).toBe(String(second.version));
    expect(await versionOf(`${base}/versions/${first.version}/infer`)).toBe(String(first.version));
    const tf = `${replica().url}/v1/models/${model.name}`;
    const staging = await postJson(`${tf}/labels/staging:predict`, { instances: [new Array(64).fill(0.25)] });
    const byVersion = await postJson(`${tf}/versions/${second.version}:predict`, {
      instances: [new Array(64).fill(0.25)],
    });
    expect(staging.status).toBe(200);
    expect(staging.body).toEqual(byVersion.body);
    const production = await postJson(`${tf}/labels/production:predict`, { instances: [new Array(64).fill(0.25)] });
    expect(production.body).not.toEqual(staging.body);
    const status = (await (await fetch(tf)).json()) as { model_version_status: { version: string }[] };
    expect(status.model_version_status.map((entry) => entry.version).sort()).toEqual(
      [String(first.version), String(second.version)].sort(),
    );
  });
});

describe("promotion", () => {
  it("moves traffic to the new version without failing a single request", async () => {
    const model = await createModel();
    const first = await readyVersion(model.name, DIGITS_ONNX);
    const second = await readyVersionFromBytes(model.name, randomMlp([64, 48, 10], 5));
    expect((await promote(model.name, first.version, "PRODUCTION")).status).toBe(200);
    await waitForServed(replica(), model.name, first.version);
    const url = `${replica().url}/v2/models/${model.name}/infer`;
    const seen: { status: number; version: string | undefined }[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        const response = await postJson(url, v2Input(new Array(64).fill(0.5)));
        seen.push({ status: response.status, version: (response.body as V2Body).model_version });
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await waitUntil(() => seen.length > 100, "load before the promotion");
    expect((await promote(model.name, second.version, "PRODUCTION")).status).toBe(200);
    // The notification alone moves the replica (its periodic sync is a minute away).
    await waitUntil(
      () => seen.slice(-20).every((entry) => entry.version === String(second.version)) && seen.length > 0,
      "responses from the new version",
    );
    const switchedAt = seen.length;
    await waitUntil(() => seen.length > switchedAt + 100, "load after the promotion");
    running = false;
    await Promise.all(clients);
    expect(seen.filter((entry) => entry.status !== 200)).toEqual([]);
    const versions = seen.map((entry) => entry.version);
    expect(versions[0]).toBe(String(first.version));
    expect(versions.at(-1)).toBe(String(second.version));
    // Once the new version answered, the old one never did again.
    const firstNew = versions.indexOf(String(second.version));
    expect(versions.slice(firstNew + 8).every((version) => version === String(second.version))).toBe(true);
  });

  it("keeps the old version serving when the new one fails to load, and says why", async () => {
    const model = await createModel();
    const first = await readyVersion(model.name, DIGITS_ONNX);
    const broken = await readyVersionFromBytes(model.name, randomMlp([64, 16, 10], 99));
    expect((await promote(model.name, first.version, "PRODUCTION")).status).toBe(200);
    await waitForServed(replica(), model.name, first.version);
    // The stored file goes bad after validation (a disk fault): loading it must fail.
    await writeFile(artifactStore().localPath(broken.sha256), "not a model any more");
    expect((await promote(model.name, broken.version, "PRODUCTION")).status).toBe(200);
    await replica().sync();
    const failed = await waitUntil(
      () =>
        replica()
          .host.states()
          .find((state) => state.version === broken.version && state.state === "FAILED"),
      "the load failure",
    );
    expect(failed.message).toBe("onnxruntime could not load the model: Protobuf parsing failed.");
    const response = await postJson(`${replica().url}/v2/models/${model.name}/infer`, v2Input(new Array(64).fill(0)));
    expect(response.status).toBe(200);
    expect((response.body as V2Body).model_version).toBe(String(first.version));
    const endpoint = await waitUntil(async () => {
      const current = await getEndpoint(model.name);
      return current.status === "FAILED" ? current : undefined;
    }, "the endpoint to show the failure");
    expect(endpoint.statusMessage).toMatch(
      new RegExp(
        `version ${broken.version} failed to load: .*Version ${first.version} keeps answering production requests`,
      ),
    );
    const page = await api("GET", `/api/models/${model.name}/endpoint`);
    expect(page.status).toBe(200);
  });
});

describe("dynamic batching", () => {
  it("gives concurrent requests the same outputs as one-by-one runs, in fewer session runs", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    await updateDeploymentSettings(model.name, { maxQueueDelayMs: 20, maxBatchSize: 64 });
    await replica().sync();
    const rows = await csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), 48);
    const expected = await referenceOutputs(DIGITS_ONNX, Float32Array.from(rows.flat()), [rows.length, 64]);
    const url = `${replica().url}/v2/models/${model.name}/infer`;
    const runsBefore = await batchRuns(model.name);
    const responses = await Promise.all(
      rows.map((row, index) =>
        index % 2 === 0
          ? postJson(url, v2Input(row))
          : postJson(`${replica().url}/v1/models/${model.name}:predict`, { instances: [row] }),
      ),
    );
    responses.forEach((response, index) => {
      expect(response.status).toBe(200);
      const values =
        index % 2 === 0 ? (response.body as V2Body).outputs![0]!.data : (response.body.predictions as number[][])[0]!;
      const reference = Array.from(expected.data.subarray(index * 10, index * 10 + 10));
      values.forEach((value, column) => expect(value).toBeCloseTo(reference[column]!, 5));
    });
    const runsAfter = await batchRuns(model.name);
    expect(runsAfter.rows - runsBefore.rows).toBe(rows.length);
    expect(runsAfter.runs - runsBefore.runs).toBeLessThan(rows.length / 2);
  });
});

/** Session runs and rows so far for a model, from the replica's Prometheus metrics. */
async function batchRuns(modelName: string) {
  const text = await (await fetch(`${replica().url}/metrics`)).text();
  const read = (suffix: string) =>
    text
      .split("\n")
      .filter(
        (line) => line.startsWith(`modelyard_serving_batch_size_${suffix}{`) && line.includes(`model="${modelName}"`),
      )
      .reduce((total, line) => total + Number(line.split(" ").at(-1)), 0);
  return { runs: read("count"), rows: read("sum") };
}
