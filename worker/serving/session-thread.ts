/**
 * A worker thread that owns one onnxruntime session. onnxruntime-node loads models and runs them
 * synchronously on the calling thread, so hosting each version in its own thread keeps the HTTP
 * thread answering (and parsing the next requests) while a model loads or computes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InferenceSession, Tensor } from "onnxruntime-node";
import type { HostTensor } from "./tensors";
import type { SessionThreadData, ThreadReply, ThreadRequest } from "./session-client";

const port = parentPort!;
const { modelPath, intraOpThreads } = workerData as SessionThreadData;

function toTensor(tensor: HostTensor): Tensor {
  return new Tensor(tensor.type, tensor.data, tensor.dims);
}

function toHost(tensor: Tensor): HostTensor {
  return { type: tensor.type as HostTensor["type"], dims: [...tensor.dims], data: tensor.data as HostTensor["data"] };
}

function transferList(tensors: HostTensor[]): ArrayBuffer[] {
  return tensors.flatMap((tensor) => (Array.isArray(tensor.data) ? [] : [tensor.data.buffer as ArrayBuffer]));
}

const send = (reply: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

try {
  const session = await InferenceSession.create(modelPath, {
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    // Spinning idle threads burn the cores the HTTP thread needs between batches.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  });
  port.on("message", (request: ThreadRequest) => {
    const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, tensor]) => [name, toTensor(tensor)]));
    session.run(feeds).then(
      (results) => {
        const outputs = Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, toHost(tensor)]));
        send({ type: "result", id: request.id, outputs }, transferList(Object.values(outputs)));
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
