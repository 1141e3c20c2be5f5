/**
 * Loads an uploaded model in a child process. Malformed files can crash native code (onnxruntime)
 * or exhaust memory, so the worker itself never loads one: a crash, an out-of-memory or a hang kills
 * only the child, and is reported as a property of the file.
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ModelFormat, OnnxInspection } from "@/lib/onnx";
import { SESSION_PARENT_PREFIX } from "../../lib/confined-session";

export type ModelFileReport =
  { ok: true; format: "ONNX"; inspection: OnnxInspection } | { ok: false; format: ModelFormat; message: string };

/** Messages the child sends over IPC, in this order. */
export type LoaderMessage =
  | { type: "detected"; format: ModelFormat }
  | { type: "report"; report: ModelFileReport }
  /** Something went wrong that is not about the file (e.g. it could not be read); the job should retry. */
  | { type: "failed"; message: string };

export type InspectOptions = {
  timeoutMs: number;
  /** V8 heap limit for the child; native (onnxruntime) memory is not covered by it. */
  maxOldSpaceMb?: number;
};

const DEFAULT_MAX_OLD_SPACE_MB = 2048;
const STDERR_TAIL_CHARS = 4096;

/** The child script next to this module, with the same extension (.ts from source, .js if compiled). */
const ownPath = fileURLToPath(import.meta.url);
const childScript = path.join(path.dirname(ownPath), `load-model-child${path.extname(ownPath)}`);

function childExecArgv(maxOldSpaceMb: number): string[] {
  const execArgv = [`--max-old-space-size=${maxOldSpaceMb}`];
  if (childScript.endsWith(".ts")) {
    // An absolute URL, so the child finds tsx whatever its working directory is.
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    execArgv.push("--import", tsxLoader);
  }
  return execArgv;
}

/**
 * Resolves with the report for every outcome that is about the file (including crashes and timeouts);
 * rejects only when the loader could not do its job (child could not start, file unreadable).
 * The child has exited by the time the promise settles.
 */
export async function inspectModelFile(filePath: string, opts: InspectOptions): Promise<ModelFileReport> {
  // The child makes its confined session folder in here; removed however the child ends.
  const sessionParent = await mkdtemp(path.join(os.tmpdir(), SESSION_PARENT_PREFIX));
  try {
    return await runLoader(filePath, sessionParent, opts);
  } finally {
    await rm(sessionParent, { recursive: true, force: true });
  }
}

function runLoader(filePath: string, sessionParent: string, opts: InspectOptions): Promise<ModelFileReport> {
  const maxOldSpaceMb = opts.maxOldSpaceMb ?? DEFAULT_MAX_OLD_SPACE_MB;
  return new Promise((resolve, reject) => {
    const child = fork(childScript, [filePath, sessionParent], {
      execPath: process.execPath,
      execArgv: childExecArgv(maxOldSpaceMb),
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });

    let detectedFormat: ModelFormat = "UNKNOWN";
    let outcome: { report: ModelFileReport } | { failure: Error } | null = null;
    let timedOut = false;
    let stderrTail = "";
    let settled = false;

    const killChild = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killChild();
    }, opts.timeoutMs);

    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });

    child.on("message", (raw) => {
      const message = raw as LoaderMessage;
      if (message.type === "detected") {
        detectedFormat = message.format;
        return;
      }
      outcome =
        message.type === "report"
          ? { report: message.report }
          : { failure: new Error(`the model loader failed: ${message.message}`) };
      killChild(); // the answer is in; do not wait for onnxruntime's teardown
    });

    // 'error' without a later 'close' happens when the process could not be spawned at all.
    child.on("error", (error) => {
      if (child.pid !== undefined) return;
      finish(() => reject(new Error(`could not start the model loader: ${error.message}`)));
    });

    child.on("close", (code, signal) => {
      finish(() => {
        if (outcome && "report" in outcome) return resolve(outcome.report);
        if (outcome) return reject(outcome.failure);
        if (timedOut) {
          return resolve({
            ok: false,
            format: detectedFormat,
            message: `loading the model took longer than ${formatSeconds(opts.timeoutMs)} s`,
          });
        }
        resolve({ ok: false, format: detectedFormat, message: describeCrash(code, signal, stderrTail, maxOldSpaceMb) });
      });
    });

    function finish(settle: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killChild();
      settle();
    }
  });
}

function formatSeconds(milliseconds: number): string {
  return String(Number((milliseconds / 1000).toFixed(3)));
}

function describeCrash(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  maxOldSpaceMb: number,
): string {
  if (/out of memory|Reached heap limit|javascript OOM/i.test(stderr)) {
    return `loading the model needed more than ${maxOldSpaceMb} MB of memory`;
  }
  if (signal) {
    const hint = signal === "SIGKILL" ? "; it was probably killed for using too much memory" : "";
    return `the model crashed the loader (signal ${signal})${hint}; the file is likely malformed — re-export it and upload again`;
  }
  const lastLine = stderr.trim().split("\n").at(-1)?.trim().slice(0, 300);
  return `the model loader exited unexpectedly (code ${code})${lastLine ? `: ${lastLine}` : ""}`;
}
