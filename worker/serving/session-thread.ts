/**
 * A worker thread that owns one onnxruntime session. onnxruntime-node loads models and runs them
 * synchronously on the calling thread, so hosting each version in its own thread keeps the HTTP
 * thread answering (and parsing the next requests) while a model loads or computes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createSession, runSession } from "./onnx-session";
import type { SessionThreadData, ThreadReply, ThreadRequest } from "./session-client";
import type { HostTensor } from "./tensors";

const port = parentPort!;
const { modelPath, intraOpThreads } = workerData as SessionThreadData;

function transferList(tensors: HostTensor[]): ArrayBuffer[] {
  return tensors.flatMap((tensor) => (Array.isArray(tensor.data) ? [] : [tensor.data.buffer as ArrayBuffer]));
}

const send = (reply: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

try {
  const session = await createSession(modelPath, intraOpThreads);
  port.on("message", (request: ThreadRequest) => {
    const startedAt = performance.now();
    runSession(session, request.feeds).then(
      (outputs) => {
        const ms = performance.now() - startedAt;
        send({ type: "result", id: request.id, outputs, ms }, transferList(Object.values(outputs)));
      },
      (error: unknown) => send({ type: "error", id: request.id, message: errorMessage(error) }),
    );
  });
  send({ type: "loaded" });
} catch (error) {
  send({ type: "load-failed", message: errorMessage(error) });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
