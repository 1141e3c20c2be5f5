import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { buildMlp, randomMlpLayers, mulberry32 } from "./build";
import { detectFormat, HEAD_BYTES, readHead } from "./format";
import { encodeModel } from "./proto";
import { FIXTURE_MODELS } from "@/tests/fixtures/paths";

const MODELS_DIR = FIXTURE_MODELS;

const bytesOf = (...parts: (string | number[] | Uint8Array)[]): Uint8Array => {
  const chunks = parts.map((part) =>
    typeof part === "string" ? Uint8Array.from(part, (character) => character.charCodeAt(0)) : Uint8Array.from(part),
  );
  return Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
};
const detectWhole = (bytes: Uint8Array) => detectFormat(bytes.subarray(0, HEAD_BYTES), bytes.length);
const padding = new Array<number>(200).fill(0);

describe("detectFormat", () => {
  it.each([
    ["empty", bytesOf(), "UNKNOWN", "an empty file"],
    ["ZIP", bytesOf("PK\x03\x04", padding), "UNKNOWN", "a ZIP archive"],
    ["empty ZIP", bytesOf("PK\x05\x06", padding), "UNKNOWN", "a ZIP archive"],
    ["HDF5", bytesOf([0x89], "HDF\r\n\x1a\n", padding), "KERAS_H5", "Keras HDF5"],
    [
      "HDF5 after a 512-byte user block",
      bytesOf(new Array<number>(512).fill(0x20), [0x89], "HDF\r\n\x1a\n", padding),
      "KERAS_H5",
      "Keras HDF5",
    ],
    ["gzip", bytesOf([0x1f, 0x8b, 0x08], padding), "UNKNOWN", "a gzip archive"],
    ["pickle protocol 2", bytesOf([0x80, 0x02], "ctorch\n", padding), "UNKNOWN", "a Python pickle"],
    ["pickle protocol 5", bytesOf([0x80, 0x05, 0x95], padding), "UNKNOWN", "a Python pickle"],
    ["PNG", bytesOf([0x89], "PNG\r\n\x1a\n", padding), "UNKNOWN", "a PNG image"],
    ["JPEG", bytesOf([0xff, 0xd8, 0xff, 0xe0], padding), "UNKNOWN", "a JPEG image"],
    ["PDF", bytesOf("%PDF-1.7\n"), "UNKNOWN", "a PDF document"],
    ["TFLite", bytesOf([0x1c, 0, 0, 0], "TFL3", padding), "UNKNOWN", "a TensorFlow Lite model"],
    [
      "PMML",
      bytesOf('<?xml version="1.0"?>\n<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">'),
      "PMML",
      "PMML XML",
    ],
    ["other XML", bytesOf('<?xml version="1.0"?><svg></svg>'), "UNKNOWN", "an XML document"],
    [
      "TensorFlow.js JSON",
      bytesOf('{"format": "layers-model", "modelTopology": {}, "weightsManifest": []}'),
      "TFJS",
      "TensorFlow.js model JSON",
    ],
    ["other JSON", bytesOf('  {"hello": "world"}'), "UNKNOWN", "a JSON document"],
    ["text", bytesOf("sepal_length,sepal_width\n5.1,3.5\n"), "UNKNOWN", "a text file"],
  ])("recognises %s", (_name, bytes, format, label) => {
    expect(detectWhole(bytes)).toEqual({ format, label });
  });

  it.each(["digits_mlp.onnx", "breast_cancer_mlp.onnx"])(
    "recognises the shared model %s as ONNX from its head",
    (file) => {
      const bytes = readFileSync(path.join(MODELS_DIR, file));
      expect(detectWhole(bytes)).toEqual({ format: "ONNX", label: "an ONNX model" });
    },
  );

  it("recognises an ONNX model whose first field is not ir_version", () => {
    const graphOnly = encodeModel({ graph: { name: "g" } });
    const irVersionOnly = encodeModel({ irVersion: 8n });
    // Concatenated protobuf messages merge, so this is one ModelProto with the graph written first.
    const reordered = bytesOf(graphOnly, irVersionOnly);
    expect(reordered[0]).toBe(0x3a);
    expect(detectWhole(reordered).format).toBe("ONNX");
  });

  it("recognises a large model from a head that ends inside its graph", () => {
    const bytes = buildMlp({
      inputName: "x",
      outputName: "y",
      layers: randomMlpLayers([64, 256, 10], 1),
      activation: "relu",
      softmaxOutput: false,
    });
    expect(bytes.length).toBeGreaterThan(HEAD_BYTES);
    expect(detectWhole(bytes).format).toBe("ONNX");
  });

  it("does not take random bytes or a protobuf of another message for ONNX", () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const noise = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
      expect(detectWhole(noise).format).toBe("UNKNOWN");
    }
    // field 9 (not a ModelProto field), varint
    expect(detectWhole(bytesOf([0x48, 0x01]))).toEqual({ format: "UNKNOWN", label: "an unrecognised binary file" });
  });
});

describe("readHead", () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  it("reads at most the requested bytes and reports the whole size", async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), "modelyard-format-"));
    directories.push(directory);
    const filePath = path.join(directory, "upload.bin");
    await writeFile(filePath, bytesOf("PK\x03\x04", padding));

    expect(await readHead(filePath, 4)).toEqual({ head: bytesOf("PK\x03\x04"), totalSize: 204 });
    const whole = await readHead(filePath);
    expect(whole.head.length).toBe(204);
    expect(detectFormat(whole.head, whole.totalSize).label).toBe("a ZIP archive");
  });
});

describe("detectFormat on damaged ONNX", () => {
  it("still calls a truncated ONNX model ONNX, so the decoder can explain the truncation", () => {
    const digits = readFileSync(path.join(MODELS_DIR, "digits_mlp.onnx"));
    const half = digits.subarray(0, Math.floor(digits.length / 2));
    expect(detectWhole(half).format).toBe("ONNX");
  });

  it("does not accept a field running past the end without a leading ir_version", () => {
    expect(detectWhole(bytesOf([0x3a, 0xff, 0x7f], padding)).format).toBe("UNKNOWN");
  });
});
