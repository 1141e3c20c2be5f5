import { execFileSync } from "node:child_process";
import { Writable } from "node:stream";
import { InferenceSession, Tensor } from "onnxruntime-node";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/onnx";
import type { DesiredDeployment } from "@/lib/serving/deployments";
import { DEFAULT_DEPLOYMENT_SETTINGS } from "@/lib/serving/schemas";
import { DIGITS_ONNX } from "@/tests/fixtures/registry";
import { ModelHost, type HostedVersion } from "./model-host";
import { UnavailableError } from "./session-client";
import type { HostTensor } from "./tensors";

const SIGNATURE = {
  inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
  outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
};

const digitsDeployment = (version: number): DesiredDeployment => ({
  modelId: "model-digits",
  modelName: "digits",
  settings: DEFAULT_DEPLOYMENT_SETTINGS,
  versions: [
    {
      versionId: `version-${version}`,
      version,
      label: "production",
      artifactSha256: "digits",
      signature: SIGNATURE,
      changedAt: new Date(0),
      loadFailure: null,
    },
  ],
});

const hosts: ModelHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});

/** A host serving the digits model; messages it logs are collected in `logged`. */
async function digitsHost(inlineMaxRunMs: number) {
  const logged: { msg: string; version?: number }[] = [];
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      logged.push(JSON.parse(line.toString()) as { msg: string; version?: number });
      done();
    },
  });
  const host = new ModelHost({ artifactPath: () => DIGITS_ONNX, intraOpThreads: 1, log: pino(sink), inlineMaxRunMs });
  hosts.push(host);
  host.apply([digitsDeployment(1)]);
  await servedVersion(host, 1);
  return { host, logged };
}

async function servedVersion(host: ModelHost, version: number): Promise<HostedVersion> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const served = host.servedVersions("digits").find((entry) => entry.version.version === version);
    if (served) return served.version;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`version ${version} was not served within 10 s`);
}

const random = mulberry32(7);
const rows = (count: number): HostTensor => ({
  type: "float32",
  dims: [count, 64],
  data: Float32Array.from({ length: count * 64 }, () => Math.round(random() * 16) / 16),
});

/** Submits the requests all at once, so they are batched, and returns every request's output. */
async function outputsOf(hosted: HostedVersion, requests: HostTensor[]): Promise<Float32Array[]> {
  const results = await Promise.all(
    requests.map((input) =>
      hosted.batcher.submit({ input: { ...input, data: input.data.slice() } }, input.dims[0]!, 5000),
    ),
  );
  return results.map((result) => result.outputs.output!.data as Float32Array);
}

describe("ModelHost", () => {
  it("runs a cheap model inline on the HTTP thread, with the outputs of its session thread and of onnxruntime", async () => {
    const inline = await servedVersion((await digitsHost(1000)).host, 1);
    const threaded = await servedVersion((await digitsHost(0)).host, 1);
    expect(inline.inlineRows).toBeGreaterThan(0);
    expect(threaded.inlineRows).toBe(0);

    const requests = [...Array.from({ length: 20 }, () => rows(1)), rows(5), rows(3)];
    const fromInline = await outputsOf(inline, requests);
    const fromThread = await outputsOf(threaded, requests);
    expect(fromInline).toEqual(fromThread);

    const session = await InferenceSession.create(DIGITS_ONNX);
    for (const [index, input] of requests.entries()) {
      const { output } = await session.run({ input: new Tensor("float32", input.data as Float32Array, input.dims) });
      const expected = output!.data as Float32Array;
      const worst = Math.max(...fromInline[index]!.map((value, at) => Math.abs(value - expected[at]!)));
      expect(worst).toBeLessThan(1e-5);
    }
    await session.release();
  });

  it("keeps every batch on the session thread when a run takes longer than the inline budget", async () => {
    const hosted = await servedVersion((await digitsHost(0.000001)).host, 1);
    expect(hosted.inlineRows).toBe(0);
    expect(await outputsOf(hosted, [rows(2)])).toHaveLength(1);
  });

  it("answers every request of an inline version before releasing it for its successor", async () => {
    const { host, logged } = await digitsHost(1000);
    expect((await servedVersion(host, 1)).inlineRows).toBeGreaterThan(0);
    const released = () => logged.some((line) => line.msg === "version released" && line.version === 1);
    const answers: { version: number; afterRelease: boolean }[] = [];
    let switched = false;
    // Requests keep coming, each sent to whatever Production is at that moment, as the server does.
    const traffic = (async () => {
      const requests: Promise<unknown>[] = [];
      for (let sent = 0; !switched || sent % 64 !== 0; sent++) {
        const hosted = host.resolve("digits", { label: "production" });
        const request = hosted.batcher.submit({ input: rows(1) }, 1, 5000);
        requests.push(request.then(() => answers.push({ version: hosted.version, afterRelease: released() })));
        if (sent % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(requests);
    })();
    host.apply([digitsDeployment(2)]);
    await servedVersion(host, 2);
    while (host.servedVersions("digits").some((entry) => entry.version.version === 1)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    switched = true;
    await traffic;
    const byVersion = (version: number) => answers.filter((answer) => answer.version === version);
    expect(byVersion(1).length).toBeGreaterThan(0);
    expect(byVersion(2).length).toBeGreaterThan(0);
    expect(byVersion(1).filter((answer) => answer.afterRelease)).toEqual([]);
    for (let attempt = 0; attempt < 200 && !released(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(released()).toBe(true);
  });

  it("does not load a version recorded as refused since its last change, and loads it once it changes again", async () => {
    const refusals: string[] = [];
    const host = new ModelHost({
      artifactPath: () => DIGITS_ONNX,
      intraOpThreads: 1,
      log: pino({ level: "silent" }),
      inlineMaxRunMs: 0,
      onLoadRefused: (_wanted, message) => refusals.push(message),
    });
    hosts.push(host);
    const deployment = digitsDeployment(1);
    const recorded = { message: "the session thread ran out of memory", failedAt: new Date(1000) };
    const withVersion = (change: Partial<DesiredDeployment["versions"][number]>): DesiredDeployment => ({
      ...deployment,
      versions: [{ ...deployment.versions[0]!, ...change }],
    });
    host.apply([withVersion({ changedAt: new Date(500), loadFailure: recorded })]);
    expect(host.isReady()).toBe(true);
    expect(host.states()).toMatchObject([{ state: "FAILED", message: recorded.message, labels: [] }]);
    expect(() => host.resolve("digits", { label: "production" })).toThrow(
      new UnavailableError(`version 1 of model 'digits' failed: ${recorded.message}`),
    );
    // Read again on the next sync: still not loaded, and nothing new to record.
    host.apply([withVersion({ changedAt: new Date(500), loadFailure: recorded })]);
    expect(host.isReady()).toBe(true);
    expect(refusals).toEqual([]);
    // Promoted or redeployed since: the database no longer reports the failure, and it loads.
    host.apply([withVersion({ changedAt: new Date(2000), loadFailure: null })]);
    expect(host.isReady()).toBe(false);
    expect((await servedVersion(host, 1)).version).toBe(1);
  });

  it("runs a version in a child process when asked; a session killed while serving ends alone and is loaded again", async () => {
    const host = new ModelHost({
      artifactPath: () => DIGITS_ONNX,
      intraOpThreads: 1,
      log: pino({ level: "silent" }),
      sessionIsolation: "process",
      retryFailedAfterMs: 100,
    });
    hosts.push(host);
    host.apply([digitsDeployment(1)]);
    const inProcess = await servedVersion(host, 1);
    expect(inProcess.inlineRows).toBe(0);
    const threaded = await servedVersion((await digitsHost(0)).host, 1);
    const requests = [rows(1), rows(4)];
    expect(await outputsOf(inProcess, requests)).toEqual(await outputsOf(threaded, requests));

    const sessionPids = execFileSync("pgrep", ["-P", String(process.pid), "-f", "session-thread"], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(sessionPids).toHaveLength(1);
    process.kill(Number(sessionPids[0]), "SIGKILL");
    for (let attempt = 0; attempt < 200 && host.states()[0]?.state !== "FAILED"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(host.states()).toMatchObject([
      { state: "FAILED", message: "the session process was killed (SIGKILL: the machine may have run out of memory)" },
    ]);
    expect(() => host.resolve("digits", { label: "production" })).toThrow(UnavailableError);
    // It had served requests: one may have killed it, so it is loaded again after the delay.
    const reloaded = await servedVersion(host, 1);
    expect(reloaded).not.toBe(inProcess);
    expect(await outputsOf(reloaded, requests)).toEqual(await outputsOf(threaded, requests));
  });

  it("refuses before allocating a version whose one request exceeds the limits, and says so once", async () => {
    const refusals: string[] = [];
    const host = new ModelHost({
      artifactPath: () => DIGITS_ONNX,
      intraOpThreads: 1,
      log: pino({ level: "silent" }),
      maxRequestTensorBytes: 1024 ** 2,
      maxBodyBytes: 1024 ** 2,
      onLoadRefused: (_wanted, message) => refusals.push(message),
    });
    hosts.push(host);
    const huge = { name: "input", dtype: "float32", shape: ["batch", 1024, 1024] };
    const deployment = digitsDeployment(1);
    const wanted = { ...deployment.versions[0]!, signature: { inputs: [huge], outputs: SIGNATURE.outputs } };
    host.apply([{ ...deployment, versions: [wanted] }]);
    for (let attempt = 0; attempt < 200 && !host.isReady(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const message =
      "one request to this model needs 4 MiB of input (input 'input' is float32 [batch, 1024, 1024]); " +
      "the limit is 1 MiB (MAX_REQUEST_TENSOR_BYTES)";
    expect(refusals).toEqual([message]);
    expect(host.states()).toMatchObject([{ state: "FAILED", message }]);
    host.apply([{ ...deployment, versions: [wanted] }]);
    expect(host.isReady()).toBe(true);
    expect(refusals).toHaveLength(1);
  });
});
