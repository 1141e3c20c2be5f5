import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMlp, decodeModel, encodeModel, randomMlpLayers } from "@/lib/onnx";
import { inspectModelFile } from "./inspect-in-child";
import {
  constantModel,
  misencodedFieldAttribute,
  plainExternalAttribute,
  repeatedFieldAttribute,
} from "@/tests/fixtures/external-data";
import { DIGITS_ONNX } from "@/tests/fixtures/paths";

const DIGITS_MODEL = DIGITS_ONNX;
const TIMEOUT_MS = 20_000;

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "modelyard-loader-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function writeUpload(name: string, bytes: Uint8Array | string): Promise<string> {
  const filePath = path.join(directory, name);
  await writeFile(filePath, bytes);
  return filePath;
}

/** Live child processes of this test process (ps itself excluded). */
function childProcesses(): string[] {
  const listing = execFileSync("ps", ["--ppid", String(process.pid), "-o", "pid=,comm="], { encoding: "utf8" });
  return listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.endsWith(" ps"));
}

describe("inspectModelFile", () => {
  it("loads the shared digits model and reports its signature", async () => {
    const report = await inspectModelFile(DIGITS_MODEL, { timeoutMs: TIMEOUT_MS });
    expect(report).toMatchObject({
      ok: true,
      format: "ONNX",
      inspection: {
        opset: 17,
        inputs: [{ name: "input", dtype: "float32", shape: ["batch", 64] }],
        outputs: [{ name: "output", dtype: "float32", shape: ["batch", 10] }],
        parameterCount: 17226,
      },
    });
  });

  it("refuses a ZIP archive", async () => {
    const filePath = await writeUpload("model.onnx", `PK\x03\x04${"\0".repeat(100)}`);
    expect(await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS })).toEqual({
      ok: false,
      format: "UNKNOWN",
      message: "not an ONNX model: the file is a ZIP archive",
    });
  });

  it("recognises Keras HDF5 and records the format", async () => {
    const filePath = await writeUpload(
      "model.h5",
      Buffer.concat([Buffer.from([0x89]), Buffer.from("HDF\r\n\x1a\n"), Buffer.alloc(100)]),
    );
    expect(await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS })).toEqual({
      ok: false,
      format: "KERAS_H5",
      message: "unsupported format: Keras HDF5 (conversion is not available yet)",
    });
  });

  it("explains a truncated ONNX file", async () => {
    const digits = readFileSync(DIGITS_MODEL);
    const filePath = await writeUpload("truncated.onnx", digits.subarray(0, Math.floor(digits.length / 2)));
    const report = await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS });
    expect(report.ok).toBe(false);
    expect(report.format).toBe("ONNX");
    expect(!report.ok && report.message).toMatch(
      /^the file is truncated or is not an ONNX protobuf: it ends after \d+ bytes/,
    );
  });

  it("reports a structurally invalid graph before onnxruntime sees it", async () => {
    const model = decodeModel(
      buildMlp({
        inputName: "x",
        outputName: "y",
        layers: randomMlpLayers([4, 2], 1),
        activation: "relu",
        softmaxOutput: false,
      }),
    );
    model.graph!.initializer = model.graph!.initializer!.filter((tensor) => tensor.name !== "layer0.bias");
    const filePath = await writeUpload("missing-bias.onnx", encodeModel(model));
    expect(await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS })).toEqual({
      ok: false,
      format: "ONNX",
      message: "the ONNX graph is invalid: node 0 (Gemm) has no input 'layer0.bias'",
    });
  });

  it("passes on onnxruntime's reason when it refuses a well-formed graph", async () => {
    const model = decodeModel(
      buildMlp({
        inputName: "x",
        outputName: "y",
        layers: randomMlpLayers([4, 3, 2], 1),
        activation: "relu",
        softmaxOutput: false,
      }),
    );
    model.graph!.node![1]!.opType = "NoSuchOp"; // the activation, in the default domain
    const filePath = await writeUpload("unknown-op.onnx", encodeModel(model));
    const report = await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS });
    expect(report.ok).toBe(false);
    expect(report.format).toBe("ONNX");
    const message = report.ok ? "" : report.message;
    expect(message).toMatch(/^onnxruntime could not load the model: This is an invalid model\. .*NoSuchOp/);
    expect(message).not.toContain(directory); // no server paths in user-facing messages
    expect(message).not.toContain("\n");
    expect(message.length).toBeLessThanOrEqual("onnxruntime could not load the model: ".length + 300);
  });

  it("kills a loader that takes too long", async () => {
    expect(await inspectModelFile(DIGITS_MODEL, { timeoutMs: 1 })).toEqual({
      ok: false,
      format: expect.any(String),
      message: "loading the model took longer than 0.001 s",
    });
  });

  it("reports a loader that dies without answering (here: out of heap)", async () => {
    const report = await inspectModelFile(DIGITS_MODEL, { timeoutMs: TIMEOUT_MS, maxOldSpaceMb: 1 });
    expect(report).toEqual({
      ok: false,
      format: expect.any(String),
      message: "loading the model needed more than 1 MB of memory",
    });
  });

  it("rejects when the file cannot be read (not a property of the model)", async () => {
    await expect(inspectModelFile(path.join(directory, "absent.onnx"), { timeoutMs: TIMEOUT_MS })).rejects.toThrow(
      /^the model loader failed: ENOENT/,
    );
  });

  it.runIf(process.platform === "linux")("leaves no child processes behind", () => {
    expect(childProcesses()).toEqual([]);
  });
});

describe("inspectModelFile and external data", () => {
  const SECRET = "SECRETS!"; // as many bytes as the crafted Constant reads

  /** An upload folder with a secret beside the upload, one above it, and a link to the first. */
  async function uploadBesideSecrets(name: string, model: (location: string) => Uint8Array, location: string) {
    const folder = path.join(directory, name);
    await mkdir(path.join(folder, "uploads"), { recursive: true });
    await writeFile(path.join(folder, "secret.bin"), SECRET);
    await writeFile(path.join(folder, "uploads", "secret.bin"), SECRET);
    await symlink(path.join(folder, "uploads", "secret.bin"), path.join(folder, "uploads", "link.bin"));
    const filePath = path.join(folder, "uploads", "model.onnx");
    await writeFile(filePath, model(location));
    return { folder, filePath };
  }

  it.each([
    ["repeated, its first copy naming a file beside the upload", repeatedFieldAttribute],
    ["sent with another wire type", misencodedFieldAttribute],
  ])("refuses a Constant whose tensor field is %s", async (how, attribute) => {
    const { folder, filePath } = await uploadBesideSecrets(
      how.split(" ")[0]!,
      (location) => constantModel(attribute(location)),
      "secret.bin",
    );
    const report = await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS });
    expect(report).toMatchObject({ ok: false, format: "ONNX" });
    const message = report.ok ? "" : report.message;
    expect(message).toMatch(/^(the model stores weights in external data files \(secret\.bin\)|the file is truncated)/);
    expect(message).not.toContain(folder);
  });

  it.each([
    ["an absolute path", (folder: string) => path.join(folder, "secret.bin")],
    ["'..'", () => "../secret.bin"],
    ["a symbolic link", () => "link.bin"],
  ])("refuses external data named by %s, naming no server path", async (kind, location) => {
    const name = `plain-${kind.replace(/\W/g, "")}`;
    const folder = path.join(directory, name);
    const { filePath } = await uploadBesideSecrets(
      name,
      (at) => constantModel(plainExternalAttribute(at)),
      location(folder),
    );
    const report = await inspectModelFile(filePath, { timeoutMs: TIMEOUT_MS });
    expect(report).toMatchObject({ ok: false, format: "ONNX" });
    const message = report.ok ? "" : report.message;
    expect(message).toMatch(
      /^the model stores weights in external data files \((secret|link)\.bin\), which cannot be uploaded/,
    );
    expect(message).not.toContain(folder);
    expect(message).not.toContain(os.tmpdir());
  });
});
