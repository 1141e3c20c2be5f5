import { CsvParser } from "./csv";
import { JsonLinesParser } from "./jsonl";
import type { DatasetFormatName } from "./schemas";
import { invalidDataset, type TableParser, type TableSink } from "./table";

/** Which parser reads a file: named by its extension or Content-Type, confirmed by its first bytes. */

export const DATASET_CONTENT_TYPES = [
  "text/csv",
  "application/jsonl",
  "application/x-ndjson",
  "application/json-lines",
];

const FORMAT_BY_EXTENSION: Record<string, DatasetFormatName> = {
  csv: "CSV",
  txt: "CSV",
  jsonl: "JSONL",
  ndjson: "JSONL",
  json: "JSONL",
};

export const FILE_EXTENSION: Record<DatasetFormatName, string> = { CSV: ".csv", JSONL: ".jsonl" };
export const MEDIA_TYPE: Record<DatasetFormatName, string> = {
  CSV: "text/csv; charset=utf-8",
  JSONL: "application/jsonl; charset=utf-8",
};

/** The format the upload claims: its file extension, else its Content-Type; undefined when neither says. */
export function formatHint(filename: string, contentType = ""): DatasetFormatName | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  const byExtension = extension === undefined ? undefined : FORMAT_BY_EXTENSION[extension];
  if (byExtension) return byExtension;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "text/csv") return "CSV";
  if (DATASET_CONTENT_TYPES.includes(type)) return "JSONL";
  return undefined;
}

const BINARY_SIGNATURES: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], "a ZIP archive (an Excel workbook?); export it as CSV"],
  [[0x50, 0x41, 0x52, 0x31], "a Parquet file; export it as CSV or JSON Lines"],
  [[0x1f, 0x8b], "gzip-compressed; upload it uncompressed"],
  [[0x89, 0x48, 0x44, 0x46], "an HDF5 file; export it as CSV or JSON Lines"],
];

const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The format of a file from its first bytes (and the hint), or undefined while they are all
 * whitespace. A line starting with `{` is JSON Lines whatever the name says. Text never holds a
 * zero byte, so one means a binary file (named, when its signature is a common one).
 */
export function sniffFormat(head: Buffer, hint: DatasetFormatName | undefined): DatasetFormatName | undefined {
  const nul = head.indexOf(0);
  if (nul !== -1) throw binaryContent(head, nul);
  let p = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (p < head.length && isSpace(head[p]!)) p++;
  if (p >= head.length) return undefined;
  if (head[p] === 0x7b) return "JSONL";
  if (head[p] === 0x5b) {
    throw invalidDataset("the file is a JSON array; upload JSON Lines instead, one object per line");
  }
  return hint ?? "CSV";
}

/** The error for a file with a zero byte at `offset`, naming the format when `head` (its first bytes) shows one. */
export function binaryContent(head: Uint8Array, offset: number) {
  const known = BINARY_SIGNATURES.find(([signature]) => signature.every((byte, index) => head[index] === byte));
  return invalidDataset(
    known
      ? `the file is ${known[1]}`
      : `the file is not CSV or JSON Lines: it holds binary data (a zero byte at offset ${offset})`,
  );
}

/** How many first bytes `binaryContent` looks at. */
export const SIGNATURE_BYTES = Math.max(...BINARY_SIGNATURES.map(([signature]) => signature.length));

export function createParser(
  format: DatasetFormatName,
  sink: TableSink,
  options: { offset?: number; columns?: string[]; maxColumns?: number } = {},
): TableParser {
  return format === "CSV" ? new CsvParser(sink, options) : new JsonLinesParser(sink, options);
}
