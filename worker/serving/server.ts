/**
 * The serving replica's HTTP front: KServe V2 and TF Serving routes, request body limits, error
 * mapping and per-request metrics. Nothing here touches Postgres or Redis.
 */
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Logger } from "@/lib/log";
import type { MetricsRecorder } from "@/lib/serving/metrics-recorder";
import { SERVING_LABELS, type ServingLabel } from "@/lib/serving/schemas";
import { QueueFullError, RequestTimeoutError, type BatchResult } from "./batcher";
import { RouteError, type HostedVersion, type ModelHost, type RouteTarget } from "./model-host";
import type { PredictionLogger } from "./prediction-logger";
import type { Protocol, ServingMetrics } from "./prometheus";
import { parseV2Request, selectOutputs, v2ModelMetadata, v2Response, v2Type } from "./protocols/kserve";
import { parseTfRequest, tfModelMetadata, tfModelStatus, tfResponse } from "./protocols/tfserving";
import { RunError, UnavailableError } from "./session-client";
import { InvalidInput, checkInputs, type HostTensor } from "./tensors";

export interface ServingHandlerOptions {
  host: ModelHost;
  metrics: ServingMetrics;
  recorder?: MetricsRecorder;
  /** Logs answered predictions (sampled) so feedback can be matched to them later. */
  predictions?: PredictionLogger;
  log: Logger;
  maxBodyBytes: number;
  serverVersion: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What one request went through, for its metrics. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  requestId: string;
  protocol: Protocol | null;
  hosted?: HostedVersion;
  timing?: BatchResult;
}

const V2_MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;
const TF_MODEL_PATH = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+)|\/labels\/([^/:]+))?(:predict|\/metadata)?$/;

/** What a request's URL asks for, worked out once per distinct URL (see parsePath). */
type ParsedPath =
  | { kind: "v2"; name: string; target: RouteTarget; action: "" | "/ready" | "/infer" }
  | { kind: "tf"; name: string; target: RouteTarget; action: "" | ":predict" | "/metadata"; explicit: boolean }
  | { kind: "other"; path: string };

function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `'${segment}' is not a valid URL path segment`);
  }
}

function parseTarget(version: string | undefined, label: string | undefined): RouteTarget {
  if (version !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(version)) throw new HttpError(400, `version '${version}' is not a positive integer`);
    return { version: Number(version) };
  }
  if (label !== undefined) {
    if (!SERVING_LABELS.includes(label as ServingLabel)) {
      throw new HttpError(404, `label '${label}' is not known; use ${SERVING_LABELS.join(" or ")}`);
    }
    return { label: label as ServingLabel };
  }
  return { label: "production" };
}

function parseUncachedPath(url: string): ParsedPath {
  const path = url.split("?", 1)[0]!;
  const v2 = V2_MODEL_PATH.exec(path);
  if (v2) {
    const [, name, version, action = ""] = v2;
    const target = parseTarget(version, undefined);
    return { kind: "v2", name: decodeSegment(name!), target, action: action as "" | "/ready" | "/infer" };
  }
  const tf = TF_MODEL_PATH.exec(path);
  if (tf) {
    const [, name, version, label, action = ""] = tf;
    const target = parseTarget(version, label);
    const explicit = version !== undefined || label !== undefined;
    return {
      kind: "tf",
      name: decodeSegment(name!),
      target,
      action: action as "" | ":predict" | "/metadata",
      explicit,
    };
  }
  return { kind: "other", path };
}

/**
 * Clients call the same few URLs again and again, so each URL is parsed once: a map lookup instead
 * of two regular expressions per request. URLs that fail to parse are not kept, and the map is
 * emptied when it fills up, so odd clients cannot grow it.
 */
const parsedPaths = new Map<string, ParsedPath>();
const MAX_PARSED_PATHS = 1_000;

function parsePath(url: string): ParsedPath {
  let parsed = parsedPaths.get(url);
  if (!parsed) {
    parsed = parseUncachedPath(url);
    if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
    parsedPaths.set(url, parsed);
  }
  return parsed;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size > limit) return; // refused already; the rest is dropped
      size += chunk.length;
      if (size > limit) reject(tooLarge(limit));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

const tooLarge = (limit: number) =>
  new HttpError(413, `the request body is larger than ${limit} bytes (SERVING_MAX_BODY_BYTES)`, {
    connection: "close",
  });

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, "the request body is empty; send a JSON object");
  try {
    // Without arguments, toString goes straight to UTF-8 decoding.
    return JSON.parse(body.toString());
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
}

/**
 * Ids for requests that bring none: a random prefix per handler (74 random bits) and a counter, in a
 * UUID's form. Unique across replicas without drawing random bytes for every request.
 */
function requestIdSource(): () => string {
  const prefix = randomUUID().slice(0, 24);
  let counter = 0;
  return () => prefix + (counter++).toString(16).padStart(12, "0");
}

export function createServingHandler(options: ServingHandlerOptions) {
  const { host, metrics, recorder, log } = options;
  const nextRequestId = requestIdSource();

  /** Answers with a JSON body given as text (inference responses are written as text directly). */
  function sendJson(exchange: Exchange, status: number, payload: string, headers?: Record<string, string>) {
    const { res } = exchange;
    if (res.headersSent) return;
    const common = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      "x-request-id": exchange.requestId,
    };
    res.writeHead(status, headers ? { ...common, ...headers } : common);
    res.end(payload);
    if (headers?.connection === "close") res.once("finish", () => exchange.req.destroy());
    record(exchange, status);
  }

  const send = (exchange: Exchange, status: number, body: unknown, headers?: Record<string, string>) =>
    sendJson(exchange, status, JSON.stringify(body), headers);

  function record(exchange: Exchange, status: number) {
    const { hosted, timing, protocol } = exchange;
    if (!protocol || !hosted) return;
    const latencyMs = performance.now() - exchange.startedAt;
    const series = metrics.forVersion(hosted);
    series.request(protocol, status, latencyMs / 1000);
    if (timing) series.timings(timing.queueMs / 1000, timing.computeMs / 1000);
    recorder?.recordRequest({
      modelId: hosted.modelId,
      versionId: hosted.versionId,
      version: hosted.version,
      latencyMs,
      queueMs: timing?.queueMs ?? 0,
      computeMs: timing?.computeMs ?? 0,
      ok: status < 300,
    });
  }

  function fail(exchange: Exchange, error: unknown) {
    if (error instanceof HttpError) return send(exchange, error.status, { error: error.message }, error.headers);
    if (error instanceof InvalidInput) return send(exchange, 400, { error: error.message });
    if (error instanceof RouteError) return send(exchange, 404, { error: error.message });
    if (error instanceof QueueFullError) {
      return send(exchange, 503, { error: `${error.message}; retry shortly` }, { "retry-after": "1" });
    }
    if (error instanceof RequestTimeoutError) return send(exchange, 504, { error: error.message });
    if (error instanceof RunError) return send(exchange, 400, { error: `inference failed: ${error.message}` });
    if (error instanceof UnavailableError) return send(exchange, 503, { error: error.message }, { "retry-after": "5" });
    log.error({ err: error, url: exchange.req.url }, "unexpected error while serving a request");
    send(exchange, 500, { error: "internal error; see the serving replica's log" });
  }

  /** Checks the request's tensors against the version and waits for its batch. */
  async function infer(exchange: Exchange, provided: Map<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const hosted = exchange.hosted!;
    const ordered = checkInputs(hosted.signature.inputs, provided, v2Type);
    const rows = hosted.batchable ? ordered[0]!.dims[0]! : 1;
    const feeds: Record<string, HostTensor> = {};
    hosted.signature.inputs.forEach((spec, index) => (feeds[spec.name] = ordered[index]!));
    exchange.timing = await hosted.batcher.submit(feeds, rows, hosted.settings.requestTimeoutMs);
    options.predictions?.record(hosted, exchange.requestId, exchange.timing.outputs, rows);
    return exchange.timing.outputs;
  }

  async function handleV2Model(exchange: Exchange, { name, target, action }: Extract<ParsedPath, { kind: "v2" }>) {
    const method = exchange.req.method;
    if (action === "/infer") {
      if (method !== "POST") throw new HttpError(405, "use POST for /infer");
      exchange.protocol = "v2";
      const body = await readBody(exchange.req, options.maxBodyBytes);
      exchange.hosted = host.resolve(name, target);
      const request = parseV2Request(parseJson(body));
      if (request.id !== undefined) exchange.requestId = request.id;
      const selected = selectOutputs(exchange.hosted.signature.outputs, request.outputNames);
      const outputs = await infer(exchange, request.inputs);
      return sendJson(exchange, 200, v2Response(exchange.hosted, exchange.requestId, outputs, selected));
    }
    if (method !== "GET") throw new HttpError(405, `use GET for ${exchange.req.url}`);
    const hosted = host.resolve(name, target);
    if (action === "/ready") return send(exchange, 200, { name, ready: true });
    const versions = host.servedVersions(name).map((served) => served.version.version);
    send(exchange, 200, v2ModelMetadata(name, hosted, "version" in target ? [target.version] : versions));
  }

  async function handleTfModel(
    exchange: Exchange,
    { name, target, action, explicit }: Extract<ParsedPath, { kind: "tf" }>,
  ) {
    const method = exchange.req.method;
    if (action === ":predict") {
      if (method !== "POST") throw new HttpError(405, "use POST for :predict");
      exchange.protocol = "tf";
      const body = await readBody(exchange.req, options.maxBodyBytes);
      exchange.hosted = host.resolve(name, target);
      const request = parseTfRequest(parseJson(body), exchange.hosted.signature.inputs);
      const outputs = await infer(exchange, request.inputs);
      return sendJson(exchange, 200, tfResponse(request, outputs, exchange.hosted.signature.outputs));
    }
    if (method !== "GET") throw new HttpError(405, `use GET for ${exchange.req.url}`);
    if (action === "/metadata") return send(exchange, 200, tfModelMetadata(host.resolve(name, target)));
    const states = host.states().filter((state) => state.modelName === name);
    let wanted = states;
    if (explicit) {
      const { versionId } = host.resolve(name, target);
      wanted = states.filter((state) => state.versionId === versionId);
    }
    if (wanted.length === 0) throw new RouteError(`model '${name}' is not served here`);
    send(exchange, 200, tfModelStatus(wanted));
  }

  async function route(exchange: Exchange) {
    const { req } = exchange;
    const parsed = parsePath(req.url ?? "/");
    if (parsed.kind === "v2") return handleV2Model(exchange, parsed);
    if (parsed.kind === "tf") return handleTfModel(exchange, parsed);
    const { path } = parsed;
    if (req.method !== "GET") throw new HttpError(404, `no route for ${req.method} ${path}`);
    switch (path) {
      case "/v2/health/live":
        return send(exchange, 200, { live: true });
      case "/v2/health/ready":
        return host.isReady()
          ? send(exchange, 200, { ready: true })
          : send(exchange, 503, { ready: false, error: "still loading the deployed versions" });
      case "/v2":
        return send(exchange, 200, { name: "modelyard", version: options.serverVersion, extensions: [] });
      case "/metrics": {
        const text = await metrics.text();
        exchange.res.writeHead(200, { "content-type": metrics.contentType });
        return exchange.res.end(text);
      }
      default:
        throw new HttpError(404, `no route for GET ${path}; see /v2/models/{name} or /v1/models/{name}`);
    }
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers["x-request-id"];
    const exchange: Exchange = {
      req,
      res,
      startedAt: performance.now(),
      requestId: typeof header === "string" && header.length <= 200 ? header : nextRequestId(),
      protocol: null,
    };
    route(exchange).catch((error: unknown) => fail(exchange, error));
  };
}

export function createServingServer(options: ServingHandlerOptions): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, createServingHandler(options));
  server.on("clientError", (error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy(error);
  });
  return server;
}
