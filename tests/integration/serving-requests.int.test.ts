import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createModel, DIGITS_ONNX, FIXTURE_MODELS, promote, readyVersion } from "../fixtures/registry";
import { call, errorOf, rawRequest, type HttpAnswer } from "../fixtures/http";
import { appProcessesForFile, startServingProcess, type ServingProcess, testFileEnv } from "../fixtures/processes";
import { csvFeatures, waitUntil } from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";

/**
 * What one request can do to a serving replica: run as its own process (as `npm run serve` runs it),
 * it answers every hostile request below with a JSON error and the right status, and still answers a
 * valid request afterwards.
 */
startValidateWorkerForFile();
appProcessesForFile();

const ALLOWED_ORIGIN = "https://app.example.com";
let replica: ServingProcess;
let modelName: string;
let row: number[];

beforeAll(async () => {
  [replica, [row]] = await Promise.all([
    startServingProcess({
      ...testFileEnv(),
      SERVING_CORS_ORIGINS: ALLOWED_ORIGIN,
    }),
    csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), 1) as Promise<[number[]]>,
  ]);
  const model = await createModel();
  modelName = model.name;
  const version = await readyVersion(modelName, DIGITS_ONNX);
  expect((await promote(modelName, version.version, "PRODUCTION")).status).toBe(200);
  await waitUntil(
    async () => (await fetch(`${replica.url}/v2/models/${modelName}/ready`)).status === 200,
    "the replica to serve the model",
    30_000,
  );
}, 90_000);

const v2Path = () => `/v2/models/${modelName}/infer`;
const tfPath = () => `/v1/models/${modelName}:predict`;
const v2Body = (extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: row }],
  ...extra,
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return call(`${replica.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The process is alive and a valid request of each protocol gets its answer. */
async function expectStillServing(): Promise<void> {
  expect(replica.isRunning(), "the replica process is running").toBe(true);
  const v2 = await post(v2Path(), v2Body({ id: "after" }));
  expect(v2.status, v2.body).toBe(200);
  expect(JSON.parse(v2.body)).toMatchObject({ id: "after", outputs: [{ name: "output", shape: [1, 10] }] });
  const tf = await post(tfPath(), { instances: [row] });
  expect(tf.status, tf.body).toBe(200);
}

function expectError(answer: HttpAnswer, status: number, message: RegExp): void {
  expect(answer.status, answer.body.slice(0, 300)).toBe(status);
  expect(errorOf(answer)).toMatch(message);
}

/** `[[[...1...]]]`, `depth` lists deep, as JSON text (JSON.stringify cannot build it). */
const nestedLists = (depth: number) => `${"[".repeat(depth)}0${"]".repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}0${"}".repeat(depth)}`;

const ID_RULE = /'id' must be 1 to 128 visible ASCII characters/;
const GENERATED_ID = /^[0-9a-f-]{36}$/;

describe("request ids", () => {
  it("refuses a V2 id that could not travel in a header, and keeps serving", async () => {
    for (const id of ["a\nb", "\r\nSet-Cookie: x=1", "\u0100", "数据", "😀", "has space", "", "x".repeat(1_000_000)]) {
      const answer = await post(v2Path(), v2Body({ id }));
      expectError(answer, 400, ID_RULE);
      expect(answer.headers["x-request-id"]).toMatch(GENERATED_ID);
      expect(answer.headers["set-cookie"]).toBeUndefined();
    }
    expectError(await post(v2Path(), v2Body({ id: 5 })), 400, /'id' must be a string/);
    await expectStillServing();

    const longest = `${"a-Z_0.9:/+=".repeat(11)}abcdefghijklmnopq`.slice(0, 128);
    const answer = await post(v2Path(), v2Body({ id: longest }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).id).toBe(longest);
    expect(answer.headers["x-request-id"]).toBe(longest);
    expectError(await post(v2Path(), v2Body({ id: `${longest}b` })), 400, /\(it has 129\)/);
  });

  it("echoes a client's X-Request-Id byte for byte, and refuses one that is not visible ASCII or too long", async () => {
    const send = (value: Buffer) =>
      rawRequest(
        replica.url,
        Buffer.concat([
          Buffer.from(`GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Request-Id: `),
          value,
          Buffer.from("\r\n\r\n"),
        ]),
      );
    const echoed = await send(Buffer.from("trace-42:abc/DEF+="));
    expect(echoed.status).toBe(200);
    expect(echoed.headers["x-request-id"]).toBe("trace-42:abc/DEF+=");

    // "café" in Latin-1: Node reads the byte 0xE9 as "é" and would send it back as UTF-8 (0xC3 0xA9).
    const latin1 = await send(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expectError(latin1, 400, /X-Request-Id header must be 1 to 128 visible ASCII characters/);
    expect(latin1.headers["x-request-id"]).toMatch(GENERATED_ID);
    expectError(await send(Buffer.from("t".repeat(129))), 400, /X-Request-Id header .*\(it has 129\)/);
    await expectStillServing();
  });
});

describe("inference bodies", () => {
  it("answers 400 naming the field for deep nesting, bad JSON, numbers, shapes, datatypes and outputs", async () => {
    const deepData = `{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":${nestedLists(100_000)}}]}`;
    const deepElement = `{"instances":[[${nestedObjects(100_000)}${",0".repeat(63)}]]}`;
    const input = (fields: Record<string, unknown>) =>
      v2Body({ inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: row, ...fields }] });
    const cases: [string, unknown, RegExp][] = [
      [v2Path(), deepData, /input 'input' data is nested more than 32 lists deep/],
      [tfPath(), `{"instances":${nestedLists(100_000)}}`, /instances is nested more than 32 lists deep/],
      [tfPath(), `{"inputs":${nestedLists(100_000)}}`, /input 'input' is nested more than 32 lists deep/],
      [tfPath(), deepElement, /element 0 is an object, expected a number/],
      [v2Path(), nestedObjects(100_000), /'inputs' must be a non-empty list/],
      [v2Path(), '{"inputs": [', /malformed JSON/],
      [v2Path(), "", /the request body is empty/],
      [
        v2Path(),
        JSON.stringify(input({ data: row })).replace(`[${row[0]},`, "[1e400,"),
        /element 0 is Infinity, expected a number within float32's range/,
      ],
      [
        v2Path(),
        input({ data: [1e39, ...row.slice(1)] }),
        /element 0 is 1e\+39, expected a number within float32's range/,
      ],
      [v2Path(), input({ data: ["nan", ...row.slice(1)] }), /element 0 is "nan", expected a number/],
      [
        v2Path(),
        input({ shape: [1e15, 64] }),
        /input 'input': 'shape' must be a list of integers from 0 to 2147483647/,
      ],
      [v2Path(), input({ shape: [-1, 64] }), /input 'input': 'shape' must be a list of integers from 0 to 2147483647/],
      [
        v2Path(),
        input({ shape: [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1] }),
        /'shape' .* has more elements than any request/,
      ],
      [v2Path(), input({ shape: new Array(33).fill(1) }), /'shape' must be a list of at most 32 dimensions/],
      [v2Path(), input({ shape: "1,64" }), /'shape' must be a list/],
      [v2Path(), input({ datatype: "FP128" }), /datatype 'FP128', which is not a KServe V2 datatype \(FP32, /],
      [v2Path(), v2Body({ outputs: "output" }), /'outputs' must be a list of \{name\}/],
      [v2Path(), v2Body({ outputs: [{ name: 1 }] }), /'outputs' must be a list of \{name\}/],
    ];
    for (const [path, body, message] of cases) expectError(await post(path, body), 400, message);
    await expectStillServing();
    // No rows is a request like any other.
    const zero = await post(v2Path(), input({ shape: [0, 64], data: [] }));
    expect(zero.status).toBe(200);
    expect(JSON.parse(zero.body)).toMatchObject({ outputs: [{ shape: [0, 10], data: [] }] });
  });
});

describe("browsers and hosts", () => {
  it("answers CORS preflights for configured origins only, and refuses cross-site inference posts", async () => {
    const preflight = (origin: string) =>
      call(`${replica.url}${v2Path()}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const granted = await preflight(ALLOWED_ORIGIN);
    expect(granted.status).toBe(204);
    expect(granted.headers).toMatchObject({
      "access-control-allow-origin": ALLOWED_ORIGIN,
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers": "content-type, x-request-id",
      vary: "Origin",
    });
    expectError(await preflight("https://evil.example"), 403, /origin 'https:\/\/evil.example' .*SERVING_CORS_ORIGINS/);

    const allowed = await post(v2Path(), v2Body(), { origin: ALLOWED_ORIGIN, "sec-fetch-site": "cross-site" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers["access-control-expose-headers"]).toContain("x-request-id");

    expectError(
      await post(v2Path(), v2Body(), { origin: "https://evil.example" }),
      403,
      /cross-site requests from origin 'https:\/\/evil.example' are refused; add it to SERVING_CORS_ORIGINS/,
    );
    expectError(await post(tfPath(), { instances: [row] }, { "sec-fetch-site": "cross-site" }), 403, /cross-site/);
    // A browser form can only send text/plain or form types; neither reaches a model.
    const form = { "content-type": "text/plain" };
    expectError(await post(v2Path(), v2Body(), form), 415, /take Content-Type application\/json, not 'text\/plain'/);
    const urlencoded = { "content-type": "application/x-www-form-urlencoded" };
    expect((await post(tfPath(), { instances: [row] }, urlencoded)).status).toBe(200); // curl -d
    expectError(
      await post(tfPath(), { instances: [row] }, { ...urlencoded, "sec-fetch-site": "same-origin" }),
      415,
      /json/,
    );
    // Reading is harmless: a foreign page gets no CORS grant, so its browser keeps the answer from it.
    const read = await call(`${replica.url}/v2/models/${modelName}`, { headers: { origin: "https://evil.example" } });
    expect(read.status).toBe(200);
    expect(read.headers["access-control-allow-origin"]).toBeUndefined();
    await expectStillServing();
  });

  it("answers only the allowed Host names, except for health probes", async () => {
    const asHost = (path: string, host: string) =>
      rawRequest(replica.url, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expectError(
      await asHost("/v2", "attacker.example"),
      421,
      /does not answer to host 'attacker.example'; add it to SERVING_ALLOWED_HOSTS/,
    );
    expectError(await asHost(`/v2/models/${modelName}`, "attacker.example:8501"), 421, /SERVING_ALLOWED_HOSTS/);
    const rebound = await rawRequest(
      replica.url,
      `POST ${v2Path()} HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expectError(rebound, 421, /SERVING_ALLOWED_HOSTS/);
    expect((await asHost("/v2/health/live", "10.1.2.3:8501")).status).toBe(200);
    expect((await asHost("/v2/health/ready", "10.1.2.3:8501")).status).toBe(200);
    for (const host of ["localhost", "127.0.0.1:8501", "[::1]:8501", "LOCALHOST"]) {
      expect((await asHost("/v2", host)).status, host).toBe(200);
    }
    await expectStillServing();
  });
});

describe("HTTP itself", () => {
  it("answers malformed URLs, unknown methods and oversized heads with a JSON error and the right status", async () => {
    const raw = (request: string) => rawRequest(replica.url, request);
    const get = (target: string, extra = "") =>
      raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
    expectError(await raw("FOO /v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 501, /not one HTTP defines/);
    const put = await raw("PUT /v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    expectError(put, 405, /method 'PUT' is not supported; use GET or POST/);
    expect(put.headers.allow).toBe("GET, HEAD, POST, OPTIONS");
    expectError(
      await raw(`DELETE ${v2Path()} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
      405,
      /not supported/,
    );
    expectError(await get(`/v2/models/${modelName}/infer`), 405, /use POST for \/infer/);
    expectError(await get("/v2/models/%ZZ"), 400, /'%ZZ' is not a valid URL path segment/);
    expectError(await get("/v2/models/a%00b"), 404, /not/);
    expectError(await get("/nowhere"), 404, /no route for GET \/nowhere;/);
    expectError(await get(`/v2/${"x".repeat(10_000)}`), 414, /the URL is longer than 8192 characters/);
    expectError(await get(`/v2/${"x".repeat(20_000)}`), 414, /the URL is longer than/);
    expectError(await get("/v2", `X-Padding: ${"p".repeat(20_000)}\r\n`), 431, /headers are larger than/);
    expectError(await raw("hello\r\n\r\n"), 501, /not one HTTP defines/);
    expectError(await raw("GET /v2 HTTP/x\r\n\r\n"), 400, /malformed HTTP request/);
    expectError(await raw("GET /v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n"), 400, /malformed HTTP request/);
    const head = await raw("HEAD /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(head.status).toBe(200);
    await expectStillServing();
  });
});
