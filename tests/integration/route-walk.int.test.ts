import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { apiErrorSchema, jobDtoSchema, pageSchema } from "@/lib/registry/schemas";
import { evaluationDtoSchema } from "@/lib/evaluate/evaluations";
import { api } from "../fixtures/api";
import { uploadDataset } from "../fixtures/datasets";
import { createModel, DIGITS_ONNX, promote, readyVersion } from "../fixtures/registry";
import { servedModel, startReplicaForFile } from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";

/**
 * Walks every API route (found in app/api, so a route added later is walked too) and every
 * serving route the README documents, with what a stranger might send: NUL characters and lone
 * surrogates in bodies, query strings, path parameters and headers, integers past every column's
 * range, JSON nested 100,000 deep, and cross-site headers. Nothing may answer 5xx, and every
 * refusal must be the JSON error form with a 4xx.
 */

startValidateWorkerForFile();
const replica = startReplicaForFile();

const ROOT = path.resolve(import.meta.dirname, "../..");
const API_DIR = path.join(ROOT, "app/api");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];
type Handler = (req: Request, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

interface ApiRoute {
  /** e.g. `models/[name]/versions/[version]` */
  pattern: string;
  segments: string[];
  handlers: Partial<Record<Method, Handler>>;
}

async function findRouteFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findRouteFiles(full)));
    else if (entry.name === "route.ts") found.push(full);
  }
  return found;
}

async function discoverApiRoutes(): Promise<ApiRoute[]> {
  const routes: ApiRoute[] = [];
  for (const file of (await findRouteFiles(API_DIR)).sort()) {
    const pattern = path.relative(API_DIR, path.dirname(file)).split(path.sep).join("/");
    const exported = (await import(file)) as Record<string, unknown>;
    const handlers: Partial<Record<Method, Handler>> = {};
    for (const method of METHODS)
      if (typeof exported[method] === "function") handlers[method] = exported[method] as Handler;
    routes.push({ pattern, segments: pattern === "" ? [] : pattern.split("/"), handlers });
  }
  return routes;
}

// ---- hostile values ----

const DEPTH = 100_000;
const deepArray = "[".repeat(DEPTH) + "]".repeat(DEPTH);
const deepObject = '{"a":'.repeat(DEPTH) + "1" + "}".repeat(DEPTH);

/** As JSON text, so 1e400 and 2^53+1 reach the server as written. */
const HOSTILE_JSON: Record<string, string> = {
  nul: JSON.stringify("\u0000"),
  "nul inside": JSON.stringify("ab\u0000cd"),
  "lone high surrogate": '"\\ud800"',
  "lone low surrogate": '"x\\udfff"',
  "2^31": String(2 ** 31),
  "2^53+1": "9007199254740993",
  "1e400": "1e400",
  "-2^31-1": String(-(2 ** 31) - 1),
  "deep array": deepArray,
  "deep object": deepObject,
};
/** Strings that cannot be stored: any field holding one must be refused. */
const UNSTORABLE = new Set(["nul", "nul inside", "lone high surrogate", "lone low surrogate"]);

/** As text, for query strings, path parameters and headers (already decoded). */
const HOSTILE_TEXT: Record<string, string> = {
  nul: "\u0000",
  "nul inside": "ab\u0000cd",
  "lone high surrogate": "\ud800",
  "lone low surrogate": "x\udfff",
  "2^31": String(2 ** 31),
  "2^53+1": "9007199254740993",
  "1e400": "1e400",
  negative: "-1",
  "not a number": "NaN",
  traversal: "../../../etc/passwd",
  "very long": "a".repeat(20_000),
};

const CROSS_SITE = { origin: "https://attacker.example", "sec-fetch-site": "cross-site" };

// ---- what a valid request looks like, to mutate one field at a time ----

interface Fixture {
  model: string;
  version: number;
  datasetId: string;
  evaluationId: string;
  jobId: string;
}
let fixture: Fixture;
/** A model the serving replica serves, for the serving routes (the API walk leaves it alone). */
let servedModelName: string;

/** Real values for each path parameter, by the segment before it. */
function realParam(route: ApiRoute, index: number): string | string[] {
  const segment = route.segments[index]!;
  const previous = route.segments[index - 1];
  if (segment === "[name]") return fixture.model;
  if (segment === "[version]") return String(fixture.version);
  if (segment === "[id]" && previous === "datasets") return fixture.datasetId;
  if (segment === "[id]" && previous === "evaluations") return fixture.evaluationId;
  if (segment === "[id]" && previous === "jobs") return fixture.jobId;
  if (segment === "[...path]") return ["no", "such", "route"];
  throw new Error(`no real value for ${segment} in ${route.pattern}: add one to realParam`);
}

const paramName = (segment: string) => segment.replace(/^\[(\.\.\.)?|\]$/g, "");
const isParam = (segment: string) => segment.startsWith("[");

/** Valid JSON bodies per route and method; a route without one is walked with generic bodies only. */
function validBodies(pattern: string, method: Method): unknown[] {
  const metric = { key: "walk/loss", value: 0.5, step: 1, timestamp: "2026-01-01T00:00:00Z" };
  const settings = {
    maxBatchSize: 8,
    maxQueueDelayMs: 1,
    maxQueueSize: 16,
    requestTimeoutMs: 1000,
    predictionSampleRate: 1,
  };
  const options = { labelColumn: "label", task: "CLASSIFICATION", output: "output", inputs: { input: ["pixel_0"] } };
  const table: Record<string, unknown[]> = {
    "POST models": [{ name: "walk-created", description: "made by the walk", tags: ["walk"] }],
    "PATCH models/[name]": [{ description: "walked", tags: ["walk"] }],
    "PATCH models/[name]/versions/[version]": [{ description: "walked", tags: ["walk"] }],
    "POST models/[name]/versions/[version]/stage": [{ stage: "PRODUCTION", comment: "walk" }],
    "POST models/[name]/rollback": [{ comment: "walk" }],
    "POST models/[name]/versions/[version]/metrics": [metric, { metrics: [metric] }],
    "PATCH models/[name]/datasets/[id]": [{ name: "walk-dataset", labelColumn: "label" }],
    "POST models/[name]/endpoint": [settings],
    "PATCH models/[name]/endpoint": [settings],
    "POST models/[name]/feedback": [
      { requestId: "walk-request", row: 0, label: 1 },
      { items: [{ requestId: "walk-request", row: 0, label: 1 }] },
    ],
    "POST models/[name]/versions/[version]/evaluations": [{ datasetId: fixture.datasetId, ...options }],
    "POST models/[name]/evaluations": [{ datasetId: fixture.datasetId, versions: [fixture.version], ...options }],
  };
  return table[`${method} ${pattern}`] ?? [];
}

type JsonPath = (string | number)[];

/** Paths to every leaf, and to every object (where a hostile key is added); arrays by their first element. */
function jsonPaths(value: unknown, at: JsonPath = []): { leaves: JsonPath[]; objects: JsonPath[] } {
  if (Array.isArray(value)) {
    return value.length === 0 ? { leaves: [at], objects: [] } : jsonPaths(value[0], [...at, 0]);
  }
  if (value !== null && typeof value === "object") {
    const result = { leaves: [] as JsonPath[], objects: [at] };
    for (const [key, child] of Object.entries(value)) {
      const inner = jsonPaths(child, [...at, key]);
      result.leaves.push(...inner.leaves);
      result.objects.push(...inner.objects);
    }
    return result;
  }
  return { leaves: [at], objects: [] };
}

const PLACEHOLDER = "\u{F0000}hostile\u{F0000}";

/** The body as JSON text with the value at `at` replaced by a hostile JSON fragment. */
function withLeaf(body: unknown, at: JsonPath, fragment: string): string {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  if (at.length === 0) return fragment;
  let parent: Record<string | number, unknown> = copy;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[at.at(-1)!] = PLACEHOLDER;
  return JSON.stringify(copy).replace(JSON.stringify(PLACEHOLDER), fragment);
}

function withKey(body: unknown, at: JsonPath, key: string): string {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let target: Record<string | number, unknown> = copy;
  for (const step of at) target = target[step] as Record<string | number, unknown>;
  target[PLACEHOLDER] = 1;
  return JSON.stringify(copy).replace(JSON.stringify(PLACEHOLDER), key);
}

// ---- calling and judging ----

interface Case {
  method: Method;
  route: ApiRoute;
  what: string;
  params?: Record<string, string | string[]>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** The input cannot be stored, so anything but a refusal is wrong. */
  mustRefuse?: boolean;
}

interface Outcome {
  status: number;
  problem: string | null;
}

/** Status and, when the answer is wrong, why. */
async function judge(response: Response, mustRefuse: boolean): Promise<Outcome> {
  const { status } = response;
  const text = await response.text();
  if (status >= 500 || status < 200 || (status >= 300 && status < 400)) {
    return { status, problem: `answered ${status}: ${text.slice(0, 300)}` };
  }
  if (status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status, problem: `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}` };
    }
    if (!apiErrorSchema.safeParse(body).success) {
      return { status, problem: `answered ${status} without the JSON error form: ${text.slice(0, 200)}` };
    }
    return { status, problem: null };
  }
  return { status, problem: mustRefuse ? `accepted input that cannot be stored (${status})` : null };
}

function requestFor(c: Case, realParams: Record<string, string | string[]>): Request {
  const params = { ...realParams, ...c.params };
  const pathname = c.route.segments
    .map((segment) => {
      if (!isParam(segment)) return segment;
      const value = params[paramName(segment)]!;
      // The handler gets the parameter itself; the URL only needs to be well formed.
      return (Array.isArray(value) ? value : [value])
        .map((part) => encodeURIComponent(part.replace(/[\uD800-\uDFFF]/g, "\uFFFD")))
        .join("/");
    })
    .join("/");
  const url = new URL(`/api/${pathname}`, "http://modelyard.test");
  for (const [key, value] of Object.entries(c.query ?? {})) url.searchParams.set(key, value);
  return new Request(url, { method: c.method, headers: c.headers, body: c.body, duplex: "half" } as RequestInit);
}

async function run(c: Case): Promise<string | null> {
  const realParams = Object.fromEntries(
    c.route.segments.flatMap((segment, index) =>
      isParam(segment) ? [[paramName(segment), realParam(c.route, index)]] : [],
    ),
  );
  const request = requestFor(c, realParams);
  const handler = c.route.handlers[c.method]!;
  let outcome: Outcome;
  try {
    outcome = await judge(
      await handler(request, { params: Promise.resolve({ ...realParams, ...c.params }) }),
      c.mustRefuse ?? false,
    );
  } catch (error) {
    outcome = { status: 0, problem: `threw ${String(error).slice(0, 300)}` };
  }
  return outcome.problem && `${c.method} /api/${c.route.pattern} (${c.what}): ${outcome.problem}`;
}

/** Runs cases a few at a time and returns the failures. */
async function runAll(cases: Case[]): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const failure = await run(next);
        if (failure) failures.push(failure);
      }
    }),
  );
  return failures;
}

const json = { "content-type": "application/json" };
/** Query strings are decoded as UTF-8, so a lone surrogate arrives as U+FFFD: these are the ones that matter. */
const QUERY_VALUES = ["nul inside", "2^31", "2^53+1", "1e400", "negative", "very long"];
/** Query parameters any route might read; unknown ones are ignored, which is fine. */
const QUERY_KEYS = [
  "q",
  "tag",
  "page",
  "pageSize",
  "state",
  "kind",
  "modelName",
  "key",
  "version",
  "datasetId",
  "range",
  "bucket",
  "name",
  "labelColumn",
];

function casesFor(route: ApiRoute, method: Method): Case[] {
  const cases: Case[] = [];
  const bodies = validBodies(route.pattern, method);
  const validBody = bodies[0] === undefined ? undefined : JSON.stringify(bodies[0]);
  const base = { method, route, headers: json, body: method === "GET" || method === "DELETE" ? undefined : validBody };

  route.segments.forEach((segment) => {
    if (!isParam(segment)) return;
    const name = paramName(segment);
    for (const [what, text] of Object.entries(HOSTILE_TEXT)) {
      const value = segment.startsWith("[...") ? ["x", text] : text;
      cases.push({
        ...base,
        what: `param ${name} = ${what}`,
        params: { [name]: value },
        mustRefuse: UNSTORABLE.has(what),
      });
    }
  });
  if (method === "GET") {
    for (const key of QUERY_KEYS) {
      for (const what of QUERY_VALUES) {
        cases.push({ ...base, what: `query ${key} = ${what}`, query: { [key]: HOSTILE_TEXT[what]! } });
      }
    }
  }
  cases.push({ ...base, what: "cross-site headers", headers: { ...json, ...CROSS_SITE } });
  if (method === "GET") return cases;

  // Generic bodies for every route that takes one, whatever it expects.
  for (const [what, fragment] of Object.entries(HOSTILE_JSON)) {
    cases.push({ ...base, what: `body = ${what}`, body: fragment });
    cases.push({ ...base, what: `body {"name": ${what}}`, body: `{"name":${fragment}}` });
  }
  cases.push({ ...base, what: "body with a NUL key", body: '{"\\u0000":1}' });
  cases.push({ ...base, what: "body that is not JSON", body: "{not json" });
  // Each field of a valid body, one at a time.
  bodies.forEach((body, index) => {
    const { leaves, objects } = jsonPaths(body);
    for (const leaf of leaves) {
      for (const [what, fragment] of Object.entries(HOSTILE_JSON)) {
        cases.push({
          ...base,
          what: `body ${index + 1} ${leaf.join(".")} = ${what}`,
          body: withLeaf(body, leaf, fragment),
          mustRefuse: UNSTORABLE.has(what),
        });
      }
    }
    for (const object of objects) {
      for (const what of ["nul", "lone high surrogate"]) {
        cases.push({
          ...base,
          what: `body ${index + 1} key at ${object.join(".") || "top"} = ${what}`,
          body: withKey(body, object, HOSTILE_JSON[what]!),
        });
      }
    }
  });
  return cases;
}

/** Uploads take a raw body with headers, or multipart fields; their text fields are walked too. */
function uploadCases(route: ApiRoute): Case[] {
  const cases: Case[] = [];
  const file = "a,label\n1,0\n";
  const headerValues = {
    "percent-encoded NUL": "%00",
    "NUL inside": "a%00b",
    "percent-encoded lone surrogate": "%ED%A0%80",
    "Latin-1": "\u00ff\u00e9",
    "very long": "a".repeat(8000),
  };
  for (const [what, value] of Object.entries(headerValues)) {
    for (const header of ["x-filename", "x-description", "x-tags"]) {
      cases.push({
        method: "POST",
        route,
        what: `${header} = ${what}`,
        headers: { "content-type": "application/octet-stream", "x-filename": "walk.csv", [header]: value },
        body: file,
        // Model uploads store the description and tags; dataset uploads ignore them.
        mustRefuse: route.pattern.endsWith("versions") && header !== "x-filename" && what.includes("NUL"),
      });
    }
  }
  for (const [what, text] of Object.entries(HOSTILE_TEXT)) {
    for (const field of ["description", "tags", "name", "labelColumn"]) {
      const form = new FormData();
      form.set(field, text);
      form.set("file", new Blob([file], { type: "text/csv" }), "walk.csv");
      cases.push({ method: "POST", route, what: `multipart ${field} = ${what}`, body: form });
    }
  }
  cases.push({
    method: "POST",
    route,
    what: "cross-site upload",
    headers: { "content-type": "application/octet-stream", "x-filename": "walk.csv", ...CROSS_SITE },
    body: file,
  });
  return cases;
}

const isUpload = (route: ApiRoute, method: Method) =>
  method === "POST" && /^models\/\[name\]\/(versions|datasets)$/.test(route.pattern);

describe("every API route", () => {
  let routes: ApiRoute[];

  beforeAll(async () => {
    routes = await discoverApiRoutes();
    // Served before the walk queues its uploads, whose validations would keep this one waiting.
    servedModelName = (await servedModel(replica(), DIGITS_ONNX)).model.name;
    const model = await createModel();
    const version = await readyVersion(model.name, DIGITS_ONNX);
    expect((await promote(model.name, version.version, "PRODUCTION")).status).toBe(200);
    const dataset = await uploadDataset(model.name);
    const evaluation = await api("POST", `/api/models/${model.name}/versions/${version.version}/evaluations`, {
      json: { datasetId: dataset.id },
    });
    expect(evaluation.status, await evaluation.clone().text()).toBe(202);
    const jobs = pageSchema(jobDtoSchema).parse(
      await (await api("GET", `/api/jobs?modelName=${model.name}&kind=VALIDATE`)).json(),
    );
    fixture = {
      model: model.name,
      version: version.version,
      datasetId: dataset.id,
      evaluationId: evaluationDtoSchema.parse(await evaluation.json()).id,
      jobId: jobs.items[0]!.id,
    };
  }, 120_000);

  it("finds the routes in app/api, each with at least one method", () => {
    expect(routes.length).toBeGreaterThanOrEqual(25);
    for (const route of routes) expect(Object.keys(route.handlers), route.pattern).not.toHaveLength(0);
    expect(routes.map((route) => route.pattern)).toContain("models/[name]/versions/[version]/metrics");
  });

  it("answers hostile bodies, queries, parameters and headers with a 2xx or a JSON 4xx, never a 5xx", async () => {
    const cases = routes.flatMap((route) =>
      METHODS.flatMap((method) => {
        if (!route.handlers[method]) return [];
        return isUpload(route, method) ? uploadCases(route) : casesFor(route, method);
      }),
    );
    // Deletions last, so the real objects live through the other cases.
    const ordered = [...cases.filter((c) => c.method !== "DELETE"), ...cases.filter((c) => c.method === "DELETE")];
    const failures = await runAll(ordered);
    expect(failures, `${failures.length} of ${cases.length} cases failed`).toEqual([]);
  }, 600_000);
});

// ---- serving ----

interface ServingRoute {
  method: "GET" | "POST";
  /** With {name}, {v} and {label} placeholders. */
  path: string;
}

/**
 * The routes of the README's serving table, expanded: `[a\|b]` is optional with alternatives,
 * `{x\|y}` a choice, and `.../suffix` appends to the path before it.
 */
export function documentedServingRoutes(readme: string): ServingRoute[] {
  const table = readme.slice(readme.indexOf("| Route "), readme.indexOf("\n\n", readme.indexOf("| Route ")));
  const routes: ServingRoute[] = [];
  for (const line of table.split("\n").slice(2)) {
    const cell = line.split(/(?<!\\)\|/)[1] ?? "";
    let previous = "";
    for (const [, method, rawPath] of cell.matchAll(/`(?:(GET|POST) )?([^`]+)`/g)) {
      const full = rawPath!.startsWith("...") ? previous + rawPath!.slice(3) : rawPath!;
      previous = full;
      const verb = (method ?? routes.at(-1)?.method ?? "GET") as "GET" | "POST";
      for (const expanded of expand(full)) routes.push({ method: verb, path: expanded });
    }
  }
  return routes;
}

/** Splits at `\|` outside braces. */
function alternatives(text: string): string[] {
  const parts = [""];
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "{") depth++;
    if (char === "}") depth--;
    if (char === "\\" && text[index + 1] === "|" && depth === 0) {
      parts.push("");
      index++;
    } else parts[parts.length - 1] += char;
  }
  return parts;
}

function expand(template: string): string[] {
  const optional = /\[([^\]]*)\]/.exec(template);
  if (optional) {
    const choices = ["", ...alternatives(optional[1]!)];
    return choices.flatMap((choice) =>
      expand(template.slice(0, optional.index) + choice + template.slice(optional.index + optional[0].length)),
    );
  }
  const choice = /\{([^}]*\\\|[^}]*)\}/.exec(template);
  if (choice) {
    return choice[1]!
      .split("\\|")
      .flatMap((value) =>
        expand(template.slice(0, choice.index) + value + template.slice(choice.index + choice[0].length)),
      );
  }
  return [template];
}

describe("every serving route", () => {
  let routes: ServingRoute[];
  const model = () => servedModelName;

  beforeAll(async () => {
    routes = documentedServingRoutes(await readFile(path.join(ROOT, "README.md"), "utf8"));
  });

  const v2Body = () => ({
    id: "walk",
    inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: Array.from({ length: 64 }, () => 0) }],
    outputs: [{ name: "output" }],
  });
  const tfBodies = () => [
    { instances: [Array.from({ length: 64 }, () => 0)] },
    { signature_name: "serving_default", inputs: { input: [Array.from({ length: 64 }, () => 0)] } },
  ];

  /** Path segments as sent on the wire (percent-encoded), including bytes that are not UTF-8. */
  const HOSTILE_SEGMENTS: Record<string, string> = {
    nul: "%00",
    "nul inside": "ab%00cd",
    "encoded lone surrogate": "%ED%A0%80",
    "invalid UTF-8": "%FF%FE",
    "2^31": String(2 ** 31),
    "2^53+1": "9007199254740993",
    "1e400": "1e400",
    negative: "-1",
    traversal: "..%2F..%2Fetc%2Fpasswd",
    long: "a".repeat(5000),
  };

  function fill(template: string, values: { name?: string; v?: string; label?: string } = {}): string {
    return template
      .replace("{name}", values.name ?? model())
      .replace("{v}", values.v ?? "1")
      .replace("{label}", values.label ?? "production");
  }

  async function call(route: ServingRoute, url: string, init: RequestInit, what: string): Promise<string | null> {
    let response: Response;
    try {
      response = await fetch(`${replica().url}${url}`, {
        method: route.method,
        ...init,
        // A loopback replica answers within milliseconds; no answer at all is a failure too.
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      return `${route.method} ${route.path} (${what}): no answer: ${String(error)}`;
    }
    const text = await response.text();
    const { status } = response;
    if (status >= 500 && !(status === 503 && route.path.endsWith("/ready")))
      return `${route.method} ${route.path} (${what}): answered ${status}: ${text.slice(0, 300)}`;
    if (status >= 400) {
      try {
        const body = JSON.parse(text) as { error?: unknown };
        if (typeof body.error !== "string") return `${route.method} ${route.path} (${what}): ${status} without error`;
      } catch {
        return `${route.method} ${route.path} (${what}): ${status} with a body that is not JSON`;
      }
    }
    return null;
  }

  function servingCases(route: ServingRoute): [string, RequestInit, string][] {
    const cases: [string, RequestInit, string][] = [];
    const jsonHeaders = { "content-type": "application/json" };
    const bodies: unknown[] =
      route.method === "POST" ? (route.path.includes("/v2/") ? [v2Body()] : tfBodies()) : [undefined];
    const base = (body: string | undefined, headers: Record<string, string> = {}): RequestInit => ({
      headers: { ...jsonHeaders, ...headers },
      body,
    });
    const validBody = bodies[0] === undefined ? undefined : JSON.stringify(bodies[0]);
    for (const placeholder of ["name", "v", "label"] as const) {
      if (!route.path.includes(`{${placeholder}}`)) continue;
      for (const [what, segment] of Object.entries(HOSTILE_SEGMENTS)) {
        cases.push([fill(route.path, { [placeholder]: segment }), base(validBody), `${placeholder} = ${what}`]);
      }
    }
    const url = fill(route.path);
    cases.push([url, base(validBody, CROSS_SITE), "cross-site headers"]);
    cases.push([url, base(validBody, { "x-request-id": "\u00ff".repeat(300) }), "long Latin-1 X-Request-Id"]);
    if (route.method === "GET") return cases;
    for (const [what, fragment] of Object.entries(HOSTILE_JSON)) cases.push([url, base(fragment), `body = ${what}`]);
    bodies.forEach((body, index) => {
      for (const leaf of jsonPaths(body).leaves) {
        for (const [what, fragment] of Object.entries(HOSTILE_JSON)) {
          cases.push([url, base(withLeaf(body, leaf, fragment)), `body ${index + 1} ${leaf.join(".")} = ${what}`]);
        }
      }
    });
    return cases;
  }

  it("finds the documented serving routes", () => {
    const listed = routes.map((route) => `${route.method} ${route.path}`);
    expect(listed).toContain("POST /v2/models/{name}/versions/{v}/infer");
    expect(listed).toContain("POST /v1/models/{name}/labels/staging:predict");
    expect(listed).toContain("GET /v1/models/{name}/labels/{label}/metadata");
    expect(listed).toContain("GET /metrics");
  });

  it("answers hostile requests on every route with a 2xx or a JSON 4xx, and stays up", async () => {
    const failures: string[] = [];
    let count = 0;
    for (const route of routes) {
      for (const [url, init, what] of servingCases(route)) {
        count++;
        const failure = await call(route, url, init, what);
        if (failure) failures.push(failure);
      }
    }
    const live = await fetch(`${replica().url}/v2/health/live`);
    expect(live.status).toBe(200);
    expect(failures, `${failures.length} of ${count} cases failed`).toEqual([]);
  }, 600_000);
});
