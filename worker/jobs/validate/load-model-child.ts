/**
 * Child-process side of inspectModelFile: `load-model-child <file> [session folder parent]` detects
 * the format, inspects and checks an ONNX graph, and proves onnxruntime can load it (in a confined
 * session folder made under the given parent, which the parent process removes even if this one
 * crashes). Reports over IPC when forked; prints the report as JSON when run by hand
 * (`npx tsx worker/jobs/validate/load-model-child.ts model.onnx`).
 *
 * Imports are relative: tsx resolves tsconfig `paths` only from the working directory's tsconfig.
 */
import { readFile } from "node:fs/promises";
import {
  checkGraph,
  decodeModel,
  detectFormat,
  firstLine,
  HEAD_BYTES,
  inspectModelProto,
  OnnxModelError,
  type DetectedFormat,
  type OnnxInspection,
} from "../../../lib/onnx/index";
import { createConfinedSession } from "../../lib/confined-session";
import type { InferenceSession } from "onnxruntime-node";
import type { LoaderMessage, ModelFileReport } from "./inspect-in-child";

const ORT_MESSAGE_MAX_CHARS = 300;

async function loadModelFile(
  filePath: string,
  sessionParent: string | undefined,
  send: (message: LoaderMessage) => Promise<void>,
): Promise<ModelFileReport> {
  const bytes = await readFile(filePath);
  const detected = detectFormat(bytes.subarray(0, HEAD_BYTES), bytes.length);
  await send({ type: "detected", format: detected.format });
  if (detected.format !== "ONNX") return notOnnxReport(detected);

  let inspection: OnnxInspection;
  try {
    const model = decodeModel(bytes);
    inspection = inspectModelProto(model); // first: it refuses external data before anything else
    checkGraph(model);
  } catch (error) {
    const message =
      error instanceof OnnxModelError ? error.message : `the model could not be read: ${errorText(error)}`;
    return { ok: false, format: "ONNX", message };
  }

  const ortProblem = await loadWithOnnxRuntime(filePath, sessionParent, inspection);
  if (ortProblem) return { ok: false, format: "ONNX", message: ortProblem };
  return { ok: true, format: "ONNX", inspection };
}

function notOnnxReport({ format, label }: DetectedFormat): ModelFileReport {
  if (format !== "UNKNOWN")
    return { ok: false, format, message: `unsupported format: ${label} (conversion is not available yet)` };
  const advice =
    label === "a Python pickle"
      ? " (pickles can run arbitrary code, so they are never loaded; export the model to ONNX)"
      : "";
  return { ok: false, format, message: `not an ONNX model: the file is ${label}${advice}` };
}

/** Returns why onnxruntime refuses the model, or null if it loads and agrees with the inspection. */
async function loadWithOnnxRuntime(
  filePath: string,
  sessionParent: string | undefined,
  inspection: OnnxInspection,
): Promise<string | null> {
  let session: InferenceSession;
  try {
    // onnxruntime is imported only for ONNX files: it is the slow, native part of this process.
    session = await createConfinedSession(
      filePath,
      {
        graphOptimizationLevel: "disabled", // only proving it loads; optimisation is the endpoint's job
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        logSeverityLevel: 3,
      },
      sessionParent,
    );
  } catch (error) {
    return `onnxruntime could not load the model: ${firstLine(errorText(error), ORT_MESSAGE_MAX_CHARS)}`;
  }
  try {
    return (
      namesMismatch("inputs", session.inputNames, inspection.inputs) ??
      namesMismatch("outputs", session.outputNames, inspection.outputs)
    );
  } finally {
    await session.release();
  }
}

function namesMismatch(kind: string, ortNames: readonly string[], declared: { name: string }[]): string | null {
  const declaredNames = declared.map((spec) => spec.name);
  const same = ortNames.length === declaredNames.length && ortNames.every((name) => declaredNames.includes(name));
  if (same) return null;
  return `onnxruntime sees ${kind} [${ortNames.join(", ")}] but the graph declares [${declaredNames.join(", ")}]`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sendOverIpc(message: LoaderMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<void> {
  const [filePath, sessionParent] = process.argv.slice(2);
  const forked = typeof process.send === "function";
  // If the worker dies, its loader must not linger.
  process.on("disconnect", () => process.exit(1));
  const send = forked ? sendOverIpc : async () => {};
  try {
    if (!filePath) throw new Error("usage: load-model-child <model file> [session folder parent]");
    const report = await loadModelFile(filePath, sessionParent, send);
    if (forked) await send({ type: "report", report });
    else console.log(JSON.stringify(report, null, 2));
    process.exit(0);
  } catch (error) {
    if (forked) await send({ type: "failed", message: firstLine(errorText(error), ORT_MESSAGE_MAX_CHARS) });
    else console.error(error);
    process.exit(1);
  }
}

await main();
