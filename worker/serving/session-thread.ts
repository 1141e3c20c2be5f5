/**
 * Where one onnxruntime session lives: a worker thread, or a child process (session-client.ts says
 * which and why). onnxruntime-node loads models and runs them synchronously on the calling thread,
 * so hosting each version apart keeps the HTTP thread answering (and parsing the next requests)
 * while a model loads or computes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createSession, runSession } from "./onnx-session";
import type { SessionThreadData, ThreadReply, ThreadRequest } from "./session-client";
import type { HostTensor } from "./tensors";

/** The way back to the replica: the thread's port, or the process's IPC channel. */
const channel = parentPort
  ? {
      data: workerData as SessionThreadData,
      send: (reply: ThreadReply, transfer: ArrayBuffer[]) => parentPort!.postMessage(reply, transfer),
      onRequest: (listener: (request: ThreadRequest) => void) => parentPort!.on("message", listener),
    }
  : {
      data: JSON.parse(process.env.MODELYARD_SESSION ?? "null") as SessionThreadData,
      send: (reply: ThreadReply) => process.send!(reply),
      onRequest: (listener: (request: ThreadRequest) => void) => process.on("message", listener),
    };
// A session process has nothing to do once the replica is gone.
if (!parentPort) process.on("disconnect", () => process.exit(0));

const { modelPath, intraOpThreads } = channel.data;

function transferList(tensors: HostTensor[]): ArrayBuffer[] {
  return tensors.flatMap((tensor) => (Array.isArray(tensor.data) ? [] : [tensor.data.buffer as ArrayBuffer]));
}

const send = (reply: ThreadReply, transfer: ArrayBuffer[] = []) => channel.send(reply, transfer);

try {
  const session = await createSession(modelPath, intraOpThreads);
  channel.onRequest((request: ThreadRequest) => {
    const startedAt = performance.now();
    runSession(session, request.feeds).then(
      (outputs) => {
        const ms = performance.now() - startedAt;
        const kept = request.discardOutputs ? {} : outputs;
        send({ type: "result", id: request.id, outputs: kept, ms }, transferList(Object.values(kept)));
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
