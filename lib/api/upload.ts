import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import busboy from "busboy";
import { UploadTooLargeError } from "@/lib/artifacts";
import { AppError } from "@/lib/errors";

/**
 * Reads an upload from a request without holding it in memory: either the raw body
 * (`application/octet-stream`, or a text type the route accepts; file name in `X-Filename`) or
 * `multipart/form-data` with a `file` part (text fields placed before the file are passed along).
 */
export interface IncomingUpload {
  stream: Readable;
  filename: string;
  /** The raw body's or the file part's media type, lower case, without parameters. */
  contentType: string;
  fields: Record<string, string>;
}

export interface UploadOptions {
  /** Media types a route takes as a raw body besides application/octet-stream (e.g. text/csv). */
  rawTypes?: readonly string[];
  /** What the file is, for the message that asks for a supported form: "the model file". */
  what?: string;
}

const MAX_FILENAME = 255;

function cleanFilename(raw: string | null | undefined): string {
  if (!raw) return "";
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // Not percent-encoded: use as sent.
  }
  // Keep the base name only; the store never uses it as a path.
  return (name.split(/[\\/]/).pop() ?? "").replace(/[\u0000-\u001f]/g, "").slice(0, MAX_FILENAME);
}

function bodyStream(req: Request): Readable {
  if (!req.body) throw new AppError("bad_request", "the file is empty");
  return Readable.fromWeb(req.body as unknown as NodeWebReadableStream<Uint8Array>);
}

function headerFields(req: Request): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [header, field] of [
    ["x-description", "description"],
    ["x-tags", "tags"],
  ] as const) {
    const value = req.headers.get(header);
    if (value) fields[field] = cleanHeaderText(value);
  }
  return fields;
}

function cleanHeaderText(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const mediaType = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

export async function receiveUpload<T>(
  req: Request,
  maxBytes: number,
  consume: (upload: IncomingUpload) => Promise<T>,
  options: UploadOptions = {},
): Promise<T> {
  const declaredLength = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + 64 * 1024) throw new UploadTooLargeError(maxBytes);
  const contentType = (req.headers.get("content-type") ?? "application/octet-stream").toLowerCase();
  const rawTypes = options.rawTypes ?? [];

  if (contentType.startsWith("multipart/form-data")) return receiveMultipart(req, contentType, maxBytes, consume);
  // JSON, text and form bodies are usually a client that meant another endpoint or format.
  if (
    !rawTypes.includes(mediaType(contentType)) &&
    (contentType.startsWith("application/json") ||
      contentType.startsWith("text/") ||
      contentType.includes("x-www-form-urlencoded"))
  ) {
    const types = [...rawTypes, "application/octet-stream"].join(", ");
    throw new AppError(
      "unsupported_media_type",
      `send ${options.what ?? "the model file"} as the raw request body (Content-Type: ${types}, name in X-Filename) or as multipart/form-data with a 'file' field`,
    );
  }
  if (declaredLength === 0) throw new AppError("bad_request", "the file is empty");
  return consume({
    stream: bodyStream(req),
    filename: cleanFilename(req.headers.get("x-filename")),
    contentType: mediaType(contentType),
    fields: headerFields(req),
  });
}

function receiveMultipart<T>(
  req: Request,
  contentType: string,
  maxBytes: number,
  consume: (upload: IncomingUpload) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // One byte over the limit lets the store see the overflow and answer 413.
      parser = busboy({
        headers: { "content-type": contentType },
        limits: { files: 1, fileSize: maxBytes + 1, fields: 20, fieldSize: 64 * 1024 },
      });
    } catch {
      reject(
        new AppError(
          "bad_request",
          "the multipart body has no boundary; let the HTTP client set the Content-Type header",
        ),
      );
      return;
    }
    const fields: Record<string, string> = {};
    let sawFile = false;
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      const upload = { stream, filename: cleanFilename(info.filename), contentType: mediaType(info.mimeType), fields };
      consume(upload).then(resolve, (error: unknown) => {
        stream.resume();
        reject(error);
      });
    });
    parser.on("error", () => reject(new AppError("bad_request", "the multipart body is malformed")));
    parser.on("close", () => {
      if (!sawFile) reject(new AppError("bad_request", "the multipart form has no 'file' field"));
    });
    bodyStream(req).on("error", reject).pipe(parser);
  });
}
