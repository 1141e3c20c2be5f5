/**
 * Every header a serving replica sends is built here, from typed fields rather than from anything a
 * request carried: the request id (checked by lib/serving/request-id before it is kept), a CORS origin
 * (a configured entry, never the request's text) and constants. A value that is not visible ASCII
 * would make Node throw while answering, so each is checked once more on its way out.
 */
import http, { type OutgoingHttpHeaders } from "node:http";
import type { RequestId } from "@/lib/serving/request-id";

/** What a response may say besides its body. */
export interface ResponseOptions {
  /** Sent as Retry-After (seconds). */
  retryAfterSeconds?: number;
  /** Methods the route takes, sent as Allow (405 and OPTIONS answers). */
  allow?: readonly string[];
  /** Closes the connection after the answer (the rest of the request body is not read). */
  close?: boolean;
}

/** An answer the caller can act on: its status, message and response options. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: ResponseOptions = {},
  ) {
    super(message);
  }
}

/** CORS answer headers for an allowed origin; `origin` is the configured entry ("*" or an origin). */
export interface CorsGrant {
  origin: string;
  /** A preflight also says which methods and headers may follow, and for how long. */
  preflight?: boolean;
}

export interface ResponseHead {
  contentType?: string;
  contentLength?: number;
  requestId?: RequestId;
  cors?: CorsGrant | null;
  options?: ResponseOptions;
}

export const SERVING_METHODS = ["GET", "HEAD", "POST", "OPTIONS"] as const;
const CORS_REQUEST_HEADERS = "content-type, x-request-id";
const CORS_EXPOSED_HEADERS = "x-request-id, retry-after";
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Header values Node writes unchanged and every client reads back the same: visible ASCII and spaces. */
const SAFE_HEADER_VALUE = /^[\x20-\x7e]*$/;

export class UnsafeHeaderError extends Error {
  override name = "UnsafeHeaderError";
}

/** The headers of one response; throws UnsafeHeaderError rather than let Node throw mid-answer. */
export function responseHeaders(head: ResponseHead): OutgoingHttpHeaders {
  const headers: Record<string, string | number> = {};
  if (head.contentType !== undefined) headers["content-type"] = head.contentType;
  if (head.contentLength !== undefined) headers["content-length"] = head.contentLength;
  if (head.requestId !== undefined) headers["x-request-id"] = head.requestId;
  const { options, cors } = head;
  if (options?.retryAfterSeconds !== undefined) headers["retry-after"] = Math.ceil(options.retryAfterSeconds);
  if (options?.allow) headers.allow = options.allow.join(", ");
  if (options?.close) headers.connection = "close";
  if (cors) {
    headers["access-control-allow-origin"] = cors.origin;
    if (cors.origin !== "*") headers.vary = "Origin";
    if (cors.preflight) {
      headers["access-control-allow-methods"] = "GET, POST";
      headers["access-control-allow-headers"] = CORS_REQUEST_HEADERS;
      headers["access-control-max-age"] = PREFLIGHT_MAX_AGE_SECONDS;
    } else {
      headers["access-control-expose-headers"] = CORS_EXPOSED_HEADERS;
    }
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string" && !SAFE_HEADER_VALUE.test(value)) {
      throw new UnsafeHeaderError(`refusing to send header '${name}': its value is not visible ASCII`);
    }
  }
  return headers;
}

/**
 * A whole HTTP/1.1 error response as bytes, for the socket when Node's parser refused the request
 * (no request object exists then). The connection is closed after it.
 */
export function rawJsonResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  const headers = responseHeaders({
    contentType: "application/json",
    contentLength: Buffer.byteLength(body),
    options: { close: true },
  });
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`);
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n${lines.join("\r\n")}\r\n\r\n${body}`;
}
