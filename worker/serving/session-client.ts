import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { HostTensor } from "./tensors";

export interface SessionThreadData {
  modelPath: string;
  intraOpThreads: number;
}

export type ThreadRequest = { id: number; feeds: Record<string, HostTensor> };
export type ThreadReply =
  | { type: "loaded" }
  | { type: "load-failed"; message: string }
  /** `ms`: how long the run took on the thread. */
  | { type: "result"; id: number; outputs: Record<string, HostTensor>; ms: number }
  | { type: "error"; id: number; message: string };

/** A run's outputs and how long it took on the session thread, without the trips there and back. */
export interface TimedRun {
  outputs: Record<string, HostTensor>;
  ms: number;
}

/** onnxruntime refused to run the request (e.g. a value out of range for the graph). */
export class RunError extends Error {
  override name = "RunError";
}

const ownPath = fileURLToPath(import.meta.url);
const threadScript = path.join(path.dirname(ownPath), `session-thread${path.extname(ownPath)}`);

/** From source (tsx), a worker thread needs tsx registered before it can import TypeScript. */
function threadEntry(): { entry: string | URL; eval: boolean } {
  if (!threadScript.endsWith(".ts")) return { entry: threadScript, eval: false };
  // The ESM flavour of tsx's API (require.resolve would pick the CommonJS one).
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  const tsxApi = pathToFileURL(path.join(path.dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
  const script = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(
    pathToFileURL(threadScript).href,
  )}); });`;
  return { entry: script, eval: true };
}

/** Typed arrays that own their whole buffer move to the thread without a copy. */
function transferable(feeds: Record<string, HostTensor>): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const { data } of Object.values(feeds)) {
    if (Array.isArray(data)) continue;
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) buffers.push(data.buffer as ArrayBuffer);
  }
  return buffers;
}

/** The main thread's handle on a session thread: one model version, runs in order. */
export class SessionThread {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (run: TimedRun) => void; reject: (error: Error) => void }>();
  private exitError: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: ThreadReply) => {
      if (reply.type !== "result" && reply.type !== "error") return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === "result") waiter?.resolve(reply);
      else waiter?.reject(new RunError(reply.message));
    });
    const fail = (error: Error) => {
      this.exitError ??= error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the session thread exited (code ${code})`)));
  }

  /** Starts a thread and loads the model in it; rejects with onnxruntime's reason if it cannot. */
  static start(data: SessionThreadData): Promise<SessionThread> {
    const { entry, eval: isEval } = threadEntry();
    const worker = new Worker(entry, { eval: isEval, workerData: data });
    return new Promise((resolve, reject) => {
      const onMessage = (reply: ThreadReply) => {
        if (reply.type === "loaded") {
          cleanup();
          resolve(new SessionThread(worker));
        } else if (reply.type === "load-failed") {
          cleanup();
          void worker.terminate();
          reject(new Error(reply.message));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        void worker.terminate();
        reject(error);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`the session thread exited while loading (code ${code})`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
  }

  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return this.timedRun(feeds).then((run) => run.outputs);
  }

  timedRun(feeds: Record<string, HostTensor>): Promise<TimedRun> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds } satisfies ThreadRequest, transferable(feeds));
    });
  }

  /** Ends the thread, which frees the session's memory. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
