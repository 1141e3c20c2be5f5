/**
 * The serving replica's HTTP front: KServe V2 and TF Serving routes, request body limits, error
 * mapping and per-request metrics. Nothing here touches Postgres or Redis.
 */
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { config } from "@/lib/config";
import type { Logger } from "@/lib/log";
import type { MetricsRecorder } from "@/lib/serving/metrics-recorder";
import { requestIdProblem, type RequestId } from "@/lib/serving/request-id";
import { SERVING_LABELS, type ServingLabel } from "@/lib/serving/schemas";
import {
  checkCrossSitePost,
  checkHost,
  checkInferenceContentType,
  corsGrantOf,
  preflightGrant,
  servingAccessOf,
  type ServingAccess,
} from "./access";
import { quoted, truncated } from "./messages";
import { QueueFullError, RequestTimeoutError, type BatchResult } from "./batcher";
import { RouteError, type HostedVersion, type ModelHost, type RouteTarget } from "./model-host";
import type { PredictionLogger } from "./prediction-logger";
import type { Protocol, ServingMetrics } from "./prometheus";
import { parseV2Request, selectOutputs, v2ModelMetadata, v2Response, v2Type } from "./protocols/kserve";
import { parseTfRequest, tfModelMetadata, tfModelStatus, tfResponse } from "./protocols/tfserving";
import {
  HttpError,
  SERVING_METHODS,
  rawJsonResponse,
  responseHeaders,
  type CorsGrant,
  type ResponseOptions,
} from "./responses";
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
  /** Allowed Host names and CORS origins; by default SERVING_ALLOWED_HOSTS and SERVING_CORS_ORIGINS. */
  access?: ServingAccess;
}

/** URLs longer than this get 414 (Node's parser refuses request heads over 16 KiB before that). */
const MAX_URL_LENGTH = 8192;

/** What one request went through, for its metrics. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  /** Checked (lib/serving/request-id) before it is set: it goes back in a header. */
  requestId: RequestId;
  /** CORS answer headers, when the request's Origin is configured. */
  cors: CorsGrant | null;
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
    throw new HttpError(400, `${quoted(segment)} is not a valid URL path segment`);
  }
}

function parseTarget(version: string | undefined, label: string | undefined): RouteTarget {
  if (version !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(version))
      throw new HttpError(400, `version ${quoted(version)} is not a positive integer`);
    return { version: Number(version) };
  }
  if (label !== undefined) {
    if (!SERVING_LABELS.includes(label as ServingLabel)) {
      throw new HttpError(404, `label ${quoted(label)} is not known; use ${SERVING_LABELS.join(" or ")}`);
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
  new HttpError(413, `the request body is larger than ${limit} bytes (SERVING_MAX_BODY_BYTES)`, { close: true });

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
function requestIdSource(): () => RequestId {
  const prefix = randomUUID().slice(0, 24);
  let counter = 0;
  return () => (prefix + (counter++).toString(16).padStart(12, "0")) as RequestId;
}

/** The request id a client sent in X-Request-Id, checked; undefined when it sent none. */
function headerRequestId(req: IncomingMessage): RequestId | undefined {
  const header = req.headers["x-request-id"];
  if (header === undefined) return undefined;
  const problem = requestIdProblem(header, "the X-Request-Id header");
  if (problem) throw new HttpError(400, problem);
  return header as RequestId;
}

const pathOf = (url: string) => url.split("?", 1)[0]!;

export function createServingHandler(options: ServingHandlerOptions) {
  const { host, metrics, recorder, log } = options;
  const access = options.access ?? servingAccessOf(config());
  const nextRequestId = requestIdSource();

  /** Answers with a JSON body given as text (inference responses are written as text directly). */
  function sendJson(exchange: Exchange, status: number, payload: string, responseOptions?: ResponseOptions) {
    sendText(exchange, status, "application/json", payload, responseOptions);
  }

  function sendText(
    exchange: Exchange,
    status: number,
    contentType: string,
    payload: string,
    responseOptions?: ResponseOptions,
  ) {
    const { res } = exchange;
    if (res.headersSent) return;
    const headers = responseHeaders({
      contentType,
      contentLength: Buffer.byteLength(payload),
      requestId: exchange.requestId,
      cors: exchange.cors,
      options: responseOptions,
    });
    res.writeHead(status, headers);
    res.end(payload);
    if (responseOptions?.close) res.once("finish", () => exchange.req.destroy());
    record(exchange, status);
  }

  const send = (exchange: Exchange, status: number, body: unknown, responseOptions?: ResponseOptions) =>
    sendJson(exchange, status, JSON.stringify(body), responseOptions);

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
    if (error instanceof HttpError) {
      // A POST refused before its body was read: closing beats reading a body nobody will use.
      const unread = exchange.req.method === "POST" && !exchange.req.complete;
      const responseOptions = unread ? { ...error.options, close: true } : error.options;
      return send(exchange, error.status, { error: error.message }, responseOptions);
    }
    if (error instanceof InvalidInput) return send(exchange, 400, { error: error.message });
    if (error instanceof RouteError) return send(exchange, 404, { error: error.message });
    if (error instanceof QueueFullError) {
      return send(exchange, 503, { error: `${error.message}; retry shortly` }, { retryAfterSeconds: 1 });
    }
    if (error instanceof RequestTimeoutError) return send(exchange, 504, { error: error.message });
    if (error instanceof RunError) return send(exchange, 400, { error: `inference failed: ${error.message}` });
    if (error instanceof UnavailableError)
      return send(exchange, 503, { error: error.message }, { retryAfterSeconds: 5 });
    log.error({ err: error, url: exchange.req.url?.slice(0, 200) }, "unexpected error while serving a request");
    send(exchange, 500, { error: "internal error; see the serving replica's log" });
  }

  /**
   * The last resort: answering itself failed. Nothing is left to tell the client, so the error is
   * logged and the connection closed; the process goes on serving everyone else.
   */
  function abandon(exchange: Exchange, error: unknown) {
    try {
      log.error(
        { err: error, url: exchange.req.url?.slice(0, 200) },
        "could not answer a request; closing its connection",
      );
    } finally {
      exchange.res.destroy();
    }
  }

  /** Reads an inference request's JSON body, once its media type is one inference takes. */
  async function readJsonBody(exchange: Exchange): Promise<unknown> {
    checkInferenceContentType(exchange.req);
    return parseJson(await readBody(exchange.req, options.maxBodyBytes));
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
    const method = methodOf(exchange.req);
    if (action === "/infer") {
      if (method !== "POST") throw new HttpError(405, "use POST for /infer", { allow: ["POST"] });
      exchange.protocol = "v2";
      const body = await readJsonBody(exchange);
      exchange.hosted = host.resolve(name, target);
      const request = parseV2Request(body);
      if (request.id !== undefined) exchange.requestId = request.id;
      const selected = selectOutputs(exchange.hosted.signature.outputs, request.outputNames);
      const outputs = await infer(exchange, request.inputs);
      return sendJson(exchange, 200, v2Response(exchange.hosted, exchange.requestId, outputs, selected));
    }
    if (method !== "GET") throw getOnly(exchange);
    const hosted = host.resolve(name, target);
    if (action === "/ready") return send(exchange, 200, { name, ready: true });
    const versions = host.servedVersions(name).map((served) => served.version.version);
    send(exchange, 200, v2ModelMetadata(name, hosted, "version" in target ? [target.version] : versions));
  }

  async function handleTfModel(
    exchange: Exchange,
    { name, target, action, explicit }: Extract<ParsedPath, { kind: "tf" }>,
  ) {
    const method = methodOf(exchange.req);
    if (action === ":predict") {
      if (method !== "POST") throw new HttpError(405, "use POST for :predict", { allow: ["POST"] });
      exchange.protocol = "tf";
      const body = await readJsonBody(exchange);
      exchange.hosted = host.resolve(name, target);
      const request = parseTfRequest(body, exchange.hosted.signature.inputs);
      const outputs = await infer(exchange, request.inputs);
      return sendJson(exchange, 200, tfResponse(request, outputs, exchange.hosted.signature.outputs));
    }
    if (method !== "GET") throw getOnly(exchange);
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
    const url = req.url ?? "/";
    if (url.length > MAX_URL_LENGTH) throw new HttpError(414, `the URL is longer than ${MAX_URL_LENGTH} characters`);
    const path = pathOf(url);
    checkHost(req, path, access);
    exchange.cors = corsGrantOf(req, access);
    const headerId = headerRequestId(req);
    if (headerId !== undefined) exchange.requestId = headerId;
    const method = methodOf(req);
    if (!(SERVING_METHODS as readonly string[]).includes(method)) {
      throw new HttpError(405, `method ${quoted(method)} is not supported; use GET or POST`, {
        allow: SERVING_METHODS,
      });
    }
    if (method === "OPTIONS") {
      exchange.cors = preflightGrant(req, exchange.cors);
      return sendEmpty(exchange, 204, { allow: SERVING_METHODS });
    }
    if (method === "POST") checkCrossSitePost(req, exchange.cors);
    const parsed = parsePath(url);
    if (parsed.kind === "v2") return handleV2Model(exchange, parsed);
    if (parsed.kind === "tf") return handleTfModel(exchange, parsed);
    if (method !== "GET") throw new HttpError(404, `no route for ${method} ${truncated(path, 200)}`);
    switch (path) {
      case "/v2/health/live":
        return send(exchange, 200, { live: true });
      case "/v2/health/ready":
        return host.isReady()
          ? send(exchange, 200, { ready: true })
          : send(exchange, 503, { ready: false, error: "still loading the deployed versions" });
      case "/v2":
        return send(exchange, 200, { name: "modelyard", version: options.serverVersion, extensions: [] });
      case "/metrics":
        return sendText(exchange, 200, metrics.contentType, await metrics.text());
      default:
        throw new HttpError(
          404,
          `no route for GET ${truncated(path, 200)}; see /v2/models/{name} or /v1/models/{name}`,
        );
    }
  }

  function sendEmpty(exchange: Exchange, status: number, responseOptions: ResponseOptions) {
    const headers = responseHeaders({ requestId: exchange.requestId, cors: exchange.cors, options: responseOptions });
    exchange.res.writeHead(status, headers);
    exchange.res.end();
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    const exchange: Exchange = {
      req,
      res,
      startedAt: performance.now(),
      requestId: nextRequestId(),
      cors: null,
      protocol: null,
    };
    route(exchange)
      .catch((error: unknown) => fail(exchange, error))
      .catch((error: unknown) => abandon(exchange, error));
  };
}

/** HEAD is answered as GET (Node leaves the body out). */
const methodOf = (req: IncomingMessage) => (req.method === "HEAD" ? "GET" : (req.method ?? "GET"));

const getOnly = (exchange: Exchange) =>
  new HttpError(405, `use GET for ${truncated(pathOf(exchange.req.url ?? "/"), 200)}`, { allow: ["GET", "HEAD"] });

/** What to answer when Node's parser refused a request before the handler saw it. */
function clientErrorAnswer(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): [number, string] {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW": {
      // What the parser had read: a request line that has not ended by then is the URL's fault.
      const requestLineEnd = error.rawPacket?.indexOf("\r\n") ?? 0;
      return requestLineEnd === -1 || requestLineEnd > MAX_URL_LENGTH
        ? [414, `the URL is longer than ${MAX_URL_LENGTH} characters`]
        : [431, `the request's headers are larger than ${http.maxHeaderSize} bytes`];
    }
    case "HPE_INVALID_METHOD":
      return [501, "the request method is not one HTTP defines; use GET or POST"];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "the request took too long to arrive"];
    default:
      return [400, `malformed HTTP request (${error.code ?? "unreadable"})`];
  }
}

export function createServingServer(options: ServingHandlerOptions): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, createServingHandler(options));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    const [status, message] = clientErrorAnswer(error);
    socket.end(rawJsonResponse(status, message));
  });
  return server;
}
