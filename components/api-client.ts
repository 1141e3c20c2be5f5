/**
 * Browser-side access to the REST API. Every failure becomes an `ApiClientError` whose message
 * is the server's `error.message` (written to be shown to people), so components can display
 * `error.message` without inspecting responses. No server-only imports here.
 */

export class ApiClientError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got a response. */
    readonly status: number,
    /** The API's error code (`conflict`, `validation_failed`, …) or `network_error` / `bad_response`. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiClientError";
  }
}

export interface ApiRequestInit extends Omit<RequestInit, "body"> {
  body?: BodyInit | null;
  /** Sent as a JSON body with the matching Content-Type. */
  json?: unknown;
}

/** True for fetch and XHR aborts, which callers usually ignore rather than report. */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** The message to show for any thrown value; never a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiClientError) return error.message;
  return "Something went wrong. Please try again.";
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Turns a non-2xx response body into an error, falling back to the status when it is not our JSON. */
function errorFromResponse(status: number, text: string): ApiClientError {
  const body = parseJson(text);
  if (isErrorBody(body)) return new ApiClientError(status, body.error.code, body.error.message, body.error.details);
  return new ApiClientError(status, "bad_response", `The server answered with HTTP ${status}.`);
}

const NETWORK_ERROR_MESSAGE = "Could not reach the server. Check your connection and try again.";

export async function apiFetch<T>(path: string, init: ApiRequestInit = {}): Promise<T> {
  const { json, headers, ...rest } = init;
  const requestHeaders = new Headers(headers);
  requestHeaders.set("accept", "application/json");
  if (json !== undefined) requestHeaders.set("content-type", "application/json");

  let response: Response;
  try {
    response = await fetch(path, {
      cache: "no-store",
      ...rest,
      headers: requestHeaders,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiClientError(0, "network_error", NETWORK_ERROR_MESSAGE);
  }

  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, text);
  if (response.status === 204 || text === "") return undefined as T;
  const body = parseJson(text);
  if (body === undefined)
    throw new ApiClientError(response.status, "bad_response", "The server sent a response that is not JSON.");
  return body as T;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadRequest {
  /** Extra request headers (X-Filename, X-Description, …). */
  headers: Record<string, string>;
  onProgress: (progress: UploadProgress) => void;
}

export interface UploadHandle<T> {
  result: Promise<T>;
  /** Stops the transfer; `result` then rejects with an AbortError. */
  abort: () => void;
}

/**
 * POSTs a file as the raw request body. XMLHttpRequest rather than fetch because only XHR reports
 * upload progress in every browser.
 */
export function uploadFile<T>(path: string, file: File, request: UploadRequest): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const result = new Promise<T>((resolve, reject) => {
    xhr.open("POST", path);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);

    xhr.upload.onprogress = (event) => {
      request.onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        const body = parseJson(xhr.responseText);
        if (body === undefined)
          reject(new ApiClientError(xhr.status, "bad_response", "The server sent a response that is not JSON."));
        else resolve(body as T);
      } else {
        reject(errorFromResponse(xhr.status, xhr.responseText));
      }
    };
    // Servers that refuse a body early (e.g. too large) may close the connection before the browser can read the answer.
    xhr.onerror = () =>
      reject(
        new ApiClientError(
          0,
          "network_error",
          "The upload was interrupted before the server answered: the connection dropped, or the server refused the file (it may be too large).",
        ),
      );
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    xhr.send(file);
  });
  return { result, abort: () => xhr.abort() };
}
