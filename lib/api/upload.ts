import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import busboy from "busboy";
import { type BodyContract, mediaTypeOf } from "@/lib/api/handler";
import { formatBytes, UploadTooLargeError } from "@/lib/artifacts";
import type { UploadLimit } from "@/lib/config";
import { AppError } from "@/lib/errors";

/**
 * Reads an upload from a request without holding it in memory: either the raw body
 * (`application/octet-stream`, or a type the route accepts; file name in `X-Filename`) or
 * `multipart/form-data` with a `file` part (text fields placed before the file are passed along).
 * A route declares `uploadBody(...)` as its body contract, so apiRoute refuses any other type first.
 */
export interface IncomingUpload {
  stream: Readable;
  filename: string;
  /** The raw body's or the file part's media type, lower case, without parameters. */
  contentType: string;
  fields: Record<string, string>;
}

export interface UploadBodyOptions {
  /** Media types a route takes as a raw body besides application/octet-stream (e.g. text/csv). */
  rawTypes?: readonly string[];
  /** What the file is, for the message that asks for a supported form: "the model file". */
  what?: string;
}

/** The body contract of an upload route: the raw file or a multipart form. */
export function uploadBody({ rawTypes = [], what = "the model file" }: UploadBodyOptions = {}): BodyContract {
  const raw = [...rawTypes, "application/octet-stream"];
  return {
    mediaTypes: [...raw, "multipart/form-data"],
    hint: `send ${what} as the raw request body (Content-Type: ${raw.join(", ")}, name in X-Filename) or as multipart/form-data with a 'file' field`,
  };
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

const UNITS = [
  ["TiB", 1024 ** 4],
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
] as const;

/** "2 GiB − 1 byte" for a limit one byte under a whole unit, else the nearest unit ("195 KiB"). */
function roundedLimit(bytes: number): string {
  const unit = UNITS.find(([, size]) => (bytes + 1) % size === 0);
  return unit ? `${(bytes + 1) / unit[1]} ${unit[0]} − 1 byte` : formatBytes(bytes);
}

function tooLarge({ maxBytes, reason }: UploadLimit): AppError {
  return new AppError(
    "payload_too_large",
    `the file is larger than the upload limit of ${roundedLimit(maxBytes)} (${maxBytes} bytes), ${reason}`,
  );
}

export async function receiveUpload<T>(
  req: Request,
  limit: UploadLimit,
  consume: (upload: IncomingUpload) => Promise<T>,
): Promise<T> {
  try {
    return await readUpload(req, limit.maxBytes, consume);
  } catch (error) {
    throw error instanceof UploadTooLargeError ? tooLarge(limit) : error;
  }
}

function readUpload<T>(req: Request, maxBytes: number, consume: (upload: IncomingUpload) => Promise<T>): Promise<T> {
  const declaredLength = Number(req.headers.get("content-length") ?? NaN);
  // Parameters keep their case: a multipart boundary is case-sensitive (Chrome and Safari use upper case).
  const contentType = req.headers.get("content-type") ?? "application/octet-stream";
  const multipart = mediaTypeOf(contentType) === "multipart/form-data";
  // A raw body is the file; multipart framing adds a little to it.
  const framing = multipart ? 64 * 1024 : 0;
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + framing) throw new UploadTooLargeError(maxBytes);
  if (multipart) return receiveMultipart(req, contentType, maxBytes, consume);
  if (declaredLength === 0) throw new AppError("bad_request", "the file is empty");
  return consume({
    stream: bodyStream(req),
    filename: cleanFilename(req.headers.get("x-filename")),
    contentType: mediaTypeOf(contentType),
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
      const upload = {
        stream,
        filename: cleanFilename(info.filename),
        contentType: mediaTypeOf(info.mimeType),
        fields,
      };
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
