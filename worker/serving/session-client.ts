/**
 * The HTTP thread's handle on the place a version's onnxruntime session runs: a worker thread, or,
 * for models whose runs fill the JavaScript heap, a child process. Either has a bounded heap and
 * either may die (out of memory, a native crash); when it does, its runs in flight fail with
 * UnavailableError and the owner is told why, in words. Nothing else on the replica is affected.
 *
 * Why two kinds: onnxruntime-node builds string tensors on the JavaScript heap inside its native
 * run. Running out of heap there is not the clean end of a thread: V8 reports a fatal out-of-memory
 * (one large array) or node-addon-api throws during the thread's termination (many strings), and
 * either aborts the whole process. Numeric tensors are ArrayBuffers outside the heap, so a thread's
 * heap holds a few objects per run whatever the model; such versions keep the cheaper thread.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { HostTensor } from "./tensors";

export interface SessionThreadData {
  modelPath: string;
  intraOpThreads: number;
}

/** `discardOutputs`: the run is a warm-up or a timing run; its outputs stay where they were made. */
export type ThreadRequest = { id: number; feeds: Record<string, HostTensor>; discardOutputs?: boolean };
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

/** The version cannot answer now (its session died, or it failed to load): 503. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** The session died before the model was loaded: its message is the reason, not onnxruntime's. */
export class ThreadDiedWhileLoading extends Error {
  override name = "ThreadDiedWhileLoading";
}

/** "thread": a worker thread in this process; "process": a child process of its own. */
export type SessionIsolation = "thread" | "process";

export interface SessionThreadOptions {
  /** The session's V8 heap (old generation), in MB; SERVING_SESSION_HEAP_MB. */
  heapMb: number;
  isolation?: SessionIsolation;
  /**
   * Called once if the session dies after it loaded (out of memory, a crash, an exit), with the
   * reason in words; runs in flight have been rejected with UnavailableError by then. Not called
   * after close().
   */
  onDeath?: (reason: string) => void;
}

/** How a session ended: a thread's 'error', or an exit (with what a process wrote on stderr). */
export type SessionEnd = Error | { exitCode: number | null; signal?: NodeJS.Signals | null; stderr?: string };

const HEAP_SETTING = "SERVING_SESSION_HEAP_MB";

/** Why a session ended, for the people reading the version's state. */
export function describeThreadDeath(end: SessionEnd, options: SessionThreadOptions): string {
  const what = options.isolation === "process" ? "the session process" : "the session thread";
  const outOfMemory = `${what} ran out of memory (limit ${options.heapMb} MB, ${HEAP_SETTING})`;
  if (end instanceof Error) {
    if ((end as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") return outOfMemory;
    return `${what} crashed: ${end.message}`;
  }
  if (end.stderr && /heap out of memory|Reached heap limit/.test(end.stderr)) return outOfMemory;
  if (end.signal === "SIGKILL") return `${what} was killed (SIGKILL: the machine may have run out of memory)`;
  if (end.signal) return `${what} crashed (${end.signal})`;
  return `${what} exited unexpectedly (code ${end.exitCode})`;
}

const ownPath = fileURLToPath(import.meta.url);
const threadScript = path.join(path.dirname(ownPath), `session-thread${path.extname(ownPath)}`);
const fromSource = threadScript.endsWith(".ts");

/** tsx's entry points (the ESM flavour: require.resolve alone would pick the CommonJS one). */
function tsxFile(relative: string): string {
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(path.join(path.dirname(tsxPackage), relative)).href;
}

/** From source (tsx), a worker thread needs tsx registered before it can import TypeScript. */
function threadEntry(): { entry: string | URL; eval: boolean } {
  if (!fromSource) return { entry: threadScript, eval: false };
  const script = `import(${JSON.stringify(tsxFile("dist/esm/api/index.mjs"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(
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

/** What a session runs in, seen the same way whether it is a thread or a process. */
interface Carrier {
  send(request: ThreadRequest, transfer: ArrayBuffer[]): void;
  onMessage(listener: (reply: ThreadReply) => void): void;
  offMessage(listener: (reply: ThreadReply) => void): void;
  /** Called once, when the carrier has ended (or is ending) for good. */
  onEnd(listener: (end: SessionEnd) => void): void;
  terminate(): Promise<void>;
}

function threadCarrier(data: SessionThreadData, { heapMb }: SessionThreadOptions): Carrier {
  const { entry, eval: isEval } = threadEntry();
  const worker = new Worker(entry, {
    eval: isEval,
    workerData: data,
    // The young generation is a small share of the heap; the stack is Node's default.
    resourceLimits: {
      maxOldGenerationSizeMb: heapMb,
      maxYoungGenerationSizeMb: Math.max(4, Math.min(64, Math.floor(heapMb / 8))),
      stackSizeMb: 4,
    },
  });
  return {
    send: (request, transfer) => worker.postMessage(request, transfer),
    onMessage: (listener) => worker.on("message", listener),
    offMessage: (listener) => worker.off("message", listener),
    onEnd: (listener) => {
      // 'error' (out of memory, an uncaught exception) comes before 'exit'; the first one says why.
      const end = firstEndOnly(listener);
      worker.on("error", end);
      worker.on("exit", (exitCode) => end({ exitCode }));
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** A session's end can be reported by more than one event; the listener hears only the first. */
function firstEndOnly(listener: (how: SessionEnd) => void): (how: SessionEnd) => void {
  let ended = false;
  return (how) => {
    if (!ended) listener(how);
    ended = true;
  };
}

const STDERR_TAIL_BYTES = 4096;

function processCarrier(data: SessionThreadData, { heapMb }: SessionThreadOptions): Carrier {
  const child: ChildProcess = fork(threadScript, [], {
    execArgv: [...(fromSource ? ["--import", tsxFile("dist/loader.mjs")] : []), `--max-old-space-size=${heapMb}`],
    env: { ...process.env, MODELYARD_SESSION: JSON.stringify(data) },
    // Typed arrays (BigInt64Array included) and string arrays cross as they are.
    serialization: "advanced",
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    send: (request) => child.send(request),
    onMessage: (listener) => child.on("message", listener),
    offMessage: (listener) => child.off("message", listener),
    onEnd: (listener) => {
      const end = firstEndOnly(listener);
      // Once the process exists its end is 'close' (a send to a dead one errors too, saying less).
      child.on("error", (error) => child.pid === undefined && end(error));
      // 'close': stderr has been read to its end, so an out-of-memory report is in it.
      child.on("close", (exitCode, signal) => end({ exitCode, signal, stderr }));
    },
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The main thread's handle on one version's session: runs in order. */
export class SessionThread {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (run: TimedRun) => void; reject: (error: Error) => void }>();
  private exitError: Error | null = null;
  private closing = false;

  private constructor(
    private readonly carrier: Carrier,
    options: SessionThreadOptions,
  ) {
    carrier.onMessage((reply: ThreadReply) => {
      if (reply.type !== "result" && reply.type !== "error") return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === "result") waiter?.resolve(reply);
      else waiter?.reject(new RunError(reply.message));
    });
    carrier.onEnd((end) => {
      const reason = describeThreadDeath(end, options);
      this.exitError = new UnavailableError(this.closing ? "the version was released" : reason);
      for (const waiter of this.pending.values()) waiter.reject(this.exitError);
      this.pending.clear();
      if (!this.closing) options.onDeath?.(reason);
    });
  }

  /** Starts a session and loads the model in it; rejects with onnxruntime's reason if it cannot. */
  static start(data: SessionThreadData, options: SessionThreadOptions): Promise<SessionThread> {
    const carrier = options.isolation === "process" ? processCarrier(data, options) : threadCarrier(data, options);
    return new Promise((resolve, reject) => {
      let settled = false;
      const onMessage = (reply: ThreadReply) => {
        if (settled) return;
        if (reply.type === "loaded") {
          settled = true;
          carrier.offMessage(onMessage);
          resolve(new SessionThread(carrier, options));
        } else if (reply.type === "load-failed") {
          settled = true;
          carrier.offMessage(onMessage);
          void carrier.terminate();
          reject(new Error(reply.message));
        }
      };
      carrier.onMessage(onMessage);
      // Listening from the start: a carrier that ends after loading is the session's to report.
      carrier.onEnd((end) => {
        if (settled) return;
        settled = true;
        void carrier.terminate();
        reject(new ThreadDiedWhileLoading(describeThreadDeath(end, options)));
      });
    });
  }

  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return this.timedRun(feeds).then((run) => run.outputs);
  }

  /**
   * A run timed where the session is. Warm-up and timing runs discard their outputs there: a model may
   * make far more than its signature says, and those outputs would otherwise land on this thread's heap.
   */
  timedRun(feeds: Record<string, HostTensor>, { discardOutputs = false } = {}): Promise<TimedRun> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.carrier.send({ id, feeds, discardOutputs } satisfies ThreadRequest, transferable(feeds));
    });
  }

  /** Why the session died, or null while it runs. */
  get deathReason(): string | null {
    return this.exitError?.message ?? null;
  }

  /** Ends the session, which frees its memory. */
  async close(): Promise<void> {
    this.closing = true;
    await this.carrier.terminate();
  }
}
