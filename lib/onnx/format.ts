/**
 * Model format detection by content. File names and extensions are whatever the uploader typed, so
 * only the bytes count. Nothing here parses beyond the first 64 KiB or executes anything (a pickle
 * is recognised and refused, never loaded).
 */
import { open } from "node:fs/promises";

/** Same values as the `ModelFormat` enum in the database schema. */
export type ModelFormat = "ONNX" | "KERAS_H5" | "TFJS" | "PMML" | "UNKNOWN";

export type DetectedFormat = {
  format: ModelFormat;
  /** What the file is, phrased to follow "the file is …" (e.g. "a ZIP archive"). */
  label: string;
};

export const HEAD_BYTES = 65_536;

/** Reads the first `bytes` bytes of a file (fewer if it is shorter) and its total size. */
export async function readHead(
  filePath: string,
  bytes: number = HEAD_BYTES,
): Promise<{ head: Uint8Array; totalSize: number }> {
  const handle = await open(filePath, "r");
  try {
    const { size } = await handle.stat();
    const buffer = new Uint8Array(Math.min(bytes, size));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break; // the file shrank while we read it
      filled += bytesRead;
    }
    return { head: buffer.subarray(0, filled), totalSize: size };
  } finally {
    await handle.close();
  }
}

const detected = (format: ModelFormat, label: string): DetectedFormat => ({ format, label });

/** `head` is the start of the file (normally its first 64 KiB); `totalSize` is the whole file's size. */
export function detectFormat(head: Uint8Array, totalSize: number): DetectedFormat {
  if (head.length === 0 || totalSize === 0) return detected("UNKNOWN", "an empty file");
  return (
    detectByMagic(head) ??
    detectOnnxProtobuf(head, totalSize) ??
    detectText(head) ??
    detected("UNKNOWN", "an unrecognised binary file")
  );
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** HDF5 allows a user block before the superblock, so the signature may sit at 0, 512, 1024, 2048, … */
const HDF5_SIGNATURE_OFFSETS = [0, 512, 1024, 2048, 4096, 8192, 16384, 32768];

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((byte, index) => bytes[offset + index] === byte);
}

const ascii = (text: string): number[] => Array.from(text, (character) => character.charCodeAt(0));

function detectByMagic(head: Uint8Array): DetectedFormat | null {
  if (HDF5_SIGNATURE_OFFSETS.some((offset) => startsWith(head, HDF5_SIGNATURE, offset))) {
    return detected("KERAS_H5", "Keras HDF5");
  }
  if (startsWith(head, ascii("PK\x03\x04")) || startsWith(head, ascii("PK\x05\x06"))) {
    return detected("UNKNOWN", "a ZIP archive");
  }
  if (startsWith(head, [0x1f, 0x8b])) return detected("UNKNOWN", "a gzip archive");
  // Pickle protocols 2-5 open with PROTO <n>; this covers legacy torch.save files too.
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) {
    return detected("UNKNOWN", "a Python pickle");
  }
  if (startsWith(head, ascii("TFL3"), 4)) return detected("UNKNOWN", "a TensorFlow Lite model");
  if (startsWith(head, [0x89, ...ascii("PNG\r\n\x1a\n")])) return detected("UNKNOWN", "a PNG image");
  if (startsWith(head, [0xff, 0xd8, 0xff])) return detected("UNKNOWN", "a JPEG image");
  if (startsWith(head, ascii("%PDF-"))) return detected("UNKNOWN", "a PDF document");
  if (isSafetensorsHeader(head)) return detected("UNKNOWN", "a safetensors file");
  return null;
}

/** safetensors: an 8-byte little-endian header length, then a JSON object. */
function isSafetensorsHeader(head: Uint8Array): boolean {
  if (head.length < 10 || head[8] !== 0x7b /* { */) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLength = view.getBigUint64(0, true);
  return headerLength > 1n && headerLength < 100_000_000n;
}

// ---------------------------------------------------------------------------------------------------
// ONNX: a protobuf ModelProto. Protobuf has no magic number, so walk the top-level fields and accept
// the file only if every field seen is a ModelProto field with the right wire type.

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

/** ModelProto field number → wire type (onnx.proto, including fields newer than v1.10). */
const MODEL_PROTO_FIELDS = new Map<number, number>([
  [1, WIRE_VARINT], // ir_version
  [2, WIRE_LENGTH_DELIMITED], // producer_name
  [3, WIRE_LENGTH_DELIMITED], // producer_version
  [4, WIRE_LENGTH_DELIMITED], // domain
  [5, WIRE_VARINT], // model_version
  [6, WIRE_LENGTH_DELIMITED], // doc_string
  [7, WIRE_LENGTH_DELIMITED], // graph
  [8, WIRE_LENGTH_DELIMITED], // opset_import
  [14, WIRE_LENGTH_DELIMITED], // metadata_props
  [20, WIRE_LENGTH_DELIMITED], // training_info
  [25, WIRE_LENGTH_DELIMITED], // functions
  [26, WIRE_LENGTH_DELIMITED], // configuration (ONNX >= 1.16)
]);
const TEXT_FIELDS = new Set([2, 3, 4]);
const FIELD_IR_VERSION = 1;
const FIELD_GRAPH = 7;
const MAX_PLAUSIBLE_IR_VERSION = 100;

/** Reads a varint at `offset`; null if it runs past the buffer or is longer than 64 bits. */
function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } | null {
  let value = 0;
  let multiplier = 1;
  for (let index = offset; index < bytes.length && index < offset + 10; index++) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * multiplier; // arithmetic, not bit shifts: values may exceed 2^31
    if ((byte & 0x80) === 0) return { value, next: index + 1 };
    multiplier *= 128;
  }
  return null;
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function detectOnnxProtobuf(head: Uint8Array, totalSize: number): DetectedFormat | null {
  const headIsWholeFile = head.length >= totalSize;
  let offset = 0;
  let sawIrVersion = false;
  let sawGraph = false;
  while (offset < head.length) {
    const tag = readVarint(head, offset);
    if (!tag) return headIsWholeFile ? null : verdict(); // a tag split by the end of the head
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (MODEL_PROTO_FIELDS.get(fieldNumber) !== wireType) return null;
    const payload = readVarint(head, tag.next);
    if (!payload) return headIsWholeFile ? null : verdict();
    if (wireType === WIRE_VARINT) {
      if (fieldNumber === FIELD_IR_VERSION) {
        if (payload.value < 1 || payload.value > MAX_PLAUSIBLE_IR_VERSION) return null;
        sawIrVersion = true;
      }
      offset = payload.next;
      continue;
    }
    const end = payload.next + payload.value;
    if (fieldNumber === FIELD_GRAPH) sawGraph = true;
    // Runs past the end of the file: a truncated upload if it began like a model (ir_version first,
    // as every exporter writes it), so the decoder can say "truncated" rather than "unrecognised".
    if (end > totalSize) return sawIrVersion ? verdict() : null;
    if (end > head.length) break; // the field continues beyond what we read; it fits in the file
    if (TEXT_FIELDS.has(fieldNumber) && !isUtf8(head.subarray(payload.next, end))) return null;
    offset = end;
  }
  return verdict();

  function verdict(): DetectedFormat | null {
    return sawIrVersion || sawGraph ? detected("ONNX", "an ONNX model") : null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Text formats: XML (PMML or other), JSON (TensorFlow.js or other), plain text.

const utf8Lenient = new TextDecoder("utf-8");

function detectText(head: Uint8Array): DetectedFormat | null {
  if (!looksLikeText(head)) return null;
  const text = utf8Lenient
    .decode(head)
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (text.startsWith("<")) {
    return /<(?:[\w-]+:)?PMML[\s>]/.test(text) ? detected("PMML", "PMML XML") : detected("UNKNOWN", "an XML document");
  }
  if (text.startsWith("{") || text.startsWith("[")) {
    // A tfjs model.json names its topology and weights near the top; the head is enough.
    if (/"(?:modelTopology|weightsManifest)"\s*:/.test(text)) {
      return detected("TFJS", "TensorFlow.js model JSON");
    }
    return detected("UNKNOWN", "a JSON document");
  }
  return detected("UNKNOWN", "a text file");
}

/** UTF-8 (allowing a multi-byte character cut off at the end of the head) without control bytes. */
function looksLikeText(head: Uint8Array): boolean {
  for (const byte of head) {
    const isControl = byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c;
    if (isControl || byte === 0x7f) return false;
  }
  // Trim up to 3 bytes of a possibly truncated trailing character before the strict check.
  for (let cut = 0; cut <= 3 && cut < head.length; cut++) {
    if (isUtf8(head.subarray(0, head.length - cut))) return true;
  }
  return false;
}
