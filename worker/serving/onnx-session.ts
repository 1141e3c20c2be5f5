/**
 * onnxruntime sessions as the serving replica creates and runs them, the same way on a session
 * thread and inline on the HTTP thread, so both give identical outputs.
 */
import { Tensor, type InferenceSession } from "onnxruntime-node";
import { createConfinedSession } from "../lib/confined-session";
import type { HostTensor } from "./tensors";

/** A session for the artifact at `artifactPath`, confined to a folder of its own (see createConfinedSession). */
export function createSession(artifactPath: string, intraOpThreads: number): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    // Spinning idle threads burn the cores the HTTP thread needs between batches.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
  return createConfinedSession(artifactPath, options);
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
