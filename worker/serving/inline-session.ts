/**
 * A version's session run on the HTTP thread itself. For a model whose run takes microseconds (the
 * digits MLP: 10 µs), the trip to its session thread and back costs more than the model, in latency
 * and in CPU. onnxruntime-node loads and runs synchronously on the calling thread, so ModelHost only
 * makes one for versions it measured to be cheap on their session thread, and sends batches larger
 * than `maxRows` to that thread still.
 */
import type { InferenceSession } from "onnxruntime-node";
import { createSession, runSession } from "./onnx-session";
import { RunError } from "./session-client";
import type { HostTensor } from "./tensors";

export class InlineSession {
  private constructor(
    private readonly session: InferenceSession,
    /** The most rows a batch may have to run here within the time budget it was measured against. */
    readonly maxRows: number,
  ) {}

  /** Building the session (and reading the small file) blocks this thread briefly. */
  static async load(modelPath: string, maxRows: number): Promise<InlineSession> {
    // One intra-op thread: onnxruntime computes on the calling thread and starts no pool of its own.
    return new InlineSession(await createSession(modelPath, 1), maxRows);
  }

  /** Fails with RunError like a session thread does, so the batcher isolates the request at fault. */
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return runSession(this.session, feeds).catch((error: unknown) => {
      throw new RunError(error instanceof Error ? error.message : String(error));
    });
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
