/**
 * onnxruntime sessions as the serving replica creates and runs them, the same way on a session
 * thread and inline on the HTTP thread, so both give identical outputs.
 */
import { InferenceSession, Tensor } from "onnxruntime-node";
import type { HostTensor } from "./tensors";

export function createSession(model: string | Uint8Array, intraOpThreads: number): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    // Spinning idle threads burn the cores the HTTP thread needs between batches.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
  return typeof model === "string" ? InferenceSession.create(model, options) : InferenceSession.create(model, options);
}

export async function runSession(
  session: InferenceSession,
  feeds: Record<string, HostTensor>,
): Promise<Record<string, HostTensor>> {
  const tensors: Record<string, Tensor> = {};
  for (const name in feeds) {
    const { type, data, dims } = feeds[name]!;
    tensors[name] = new Tensor(type, data, dims);
  }
  const results = await session.run(tensors);
  const outputs: Record<string, HostTensor> = {};
  for (const name in results) {
    const tensor = results[name]!;
    outputs[name] = {
      type: tensor.type as HostTensor["type"],
      dims: [...tensor.dims],
      data: tensor.data as HostTensor["data"],
    };
  }
  return outputs;
}
