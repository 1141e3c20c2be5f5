/**
 * Dynamic batching for one hosted version. Requests queue while the session is busy; when it is free,
 * everything queued (up to maxBatchSize rows) runs as one `session.run` and the outputs are split
 * back per request. With maxQueueDelayMs > 0 an idle session also waits that long for company.
 * The next batch starts as soon as a run returns, before that run's requests are answered, so the
 * session never waits for the HTTP thread to write responses. A session that queues its runs (a
 * session thread) also gets the next batch while one runs, once a full batch is waiting, so it goes
 * from one run to the next without waiting for the trip back to the HTTP thread and out again.
 */
import { RunError } from "./session-client";
import type { HostTensor, TensorData } from "./tensors";

export interface BatchSettings {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
}

export interface BatchResult {
  outputs: Record<string, HostTensor>;
  queueMs: number;
  computeMs: number;
  /** Rows in the `session.run` this request was part of. */
  batchRows: number;
}

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
}

interface Entry {
  inputs: Record<string, HostTensor>;
  rows: number;
  enqueuedAt: number;
  /** performance.now() after which the request fails with RequestTimeoutError. */
  deadline: number;
  timeoutMs: number;
  state: "queued" | "running" | "settled";
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

export interface BatcherOptions {
  /** True when every input and output has a dynamic first dimension. */
  batchable: boolean;
  /** Runs one batch of `rows` rows. */
  run: (feeds: Record<string, HostTensor>, rows: number) => Promise<Record<string, HostTensor>>;
  settings: BatchSettings;
  onRun?: (rows: number, computeMs: number) => void;
  /** `run` queues runs and does them in order, so a second batch may be sent while one runs. */
  queuesRuns?: boolean;
}

/** Requests merge only when every dimension but the first matches, input by input. */
function sameRowShape(a: Record<string, HostTensor>, b: Record<string, HostTensor>): boolean {
  for (const name in a) {
    const dims = a[name]!.dims;
    const other = b[name]?.dims;
    if (!other || other.length !== dims.length) return false;
    for (let axis = 1; axis < dims.length; axis++) if (dims[axis] !== other[axis]) return false;
  }
  return true;
}

function concatData(parts: TensorData[], total: number): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const Constructor = first.constructor as new (length: number) => Exclude<TensorData, string[]>;
  const data = new Constructor(total);
  let offset = 0;
  for (const part of parts as Exclude<TensorData, string[]>[]) {
    (data as { set(array: ArrayLike<number | bigint>, offset: number): void }).set(part, offset);
    offset += part.length;
  }
  return data;
}

function sliceRows(tensor: HostTensor, rowSize: number, fromRow: number, toRow: number): HostTensor {
  const data = Array.isArray(tensor.data)
    ? tensor.data.slice(fromRow * rowSize, toRow * rowSize)
    : tensor.data.subarray(fromRow * rowSize, toRow * rowSize);
  const dims = tensor.dims.slice();
  dims[0] = toRow - fromRow;
  return { type: tensor.type, dims, data };
}

const answerNobody = () => {};

export class Batcher {
  private queue: Entry[] = [];
  private queuedRows = 0;
  /** Batches sent to the session and not back yet (with runOneByOne, each until its last request has run). */
  private readonly inFlight = new Set<Entry[]>();
  /** When the last run came back: a batch sent while another ran started no earlier than that. */
  private lastRunEndedAt = 0;
  private delayTimer: NodeJS.Timeout | undefined;
  /** One timer for every request's timeout, set for the earliest deadline: cheaper than one per request. */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineTimerAt = Infinity;
  private idleWaiters: (() => void)[] = [];
  private batchable: boolean;
  settings: BatchSettings;

  constructor(private readonly options: BatcherOptions) {
    this.batchable = options.batchable;
    this.settings = options.settings;
  }

  /**
   * Requests waiting for the session: queued here, or sent early behind the batch that runs (the
   * oldest in flight), so a batch sent early does not make the queue any longer than maxQueueSize.
   */
  get depth(): number {
    let waiting = this.queue.length;
    let running = true;
    for (const batch of this.inFlight) {
      if (!running) waiting += batch.length;
      running = false;
    }
    return waiting;
  }

  /** Queues one request of `rows` rows; throws QueueFullError at once when the queue is full. */
  submit(inputs: Record<string, HostTensor>, rows: number, timeoutMs: number): Promise<BatchResult> {
    if (this.depth >= this.settings.maxQueueSize) {
      throw new QueueFullError(`the queue is full (${this.settings.maxQueueSize} requests waiting)`);
    }
    return new Promise((resolve, reject) => {
      const enqueuedAt = performance.now();
      const entry: Entry = {
        inputs,
        rows,
        enqueuedAt,
        deadline: enqueuedAt + timeoutMs,
        timeoutMs,
        state: "queued",
        resolve,
        reject,
      };
      this.queue.push(entry);
      this.queuedRows += rows;
      this.armDeadlineTimer(entry.deadline);
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (used before a replaced session is released). */
  drain(): Promise<void> {
    if (this.inFlight.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private armDeadlineTimer(deadline: number) {
    if (this.deadlineTimer && this.deadlineTimerAt <= deadline) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimerAt = deadline;
    // Unreferenced: a pending deadline alone must not keep the process alive.
    this.deadlineTimer = setTimeout(() => this.expireOverdue(), Math.max(0, deadline - performance.now())).unref();
  }

  private expireOverdue() {
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const entry of [...this.queue, ...[...this.inFlight].flat()]) {
      if (entry.state === "settled") continue;
      if (entry.deadline <= now) this.expire(entry);
      else next = Math.min(next, entry.deadline);
    }
    if (next < Infinity) this.armDeadlineTimer(next);
  }

  private expire(entry: Entry) {
    if (entry.state === "queued") {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.queuedRows -= entry.rows;
    }
    entry.state = "settled";
    entry.reject(new RequestTimeoutError(`the request did not finish within ${entry.timeoutMs} ms`));
    this.notifyIdle();
  }

  /** A batch whenever the session is free; a second one, to a session that queues runs, once a full one waits. */
  private mayDispatch(): boolean {
    if (this.queue.length === 0) return false;
    if (this.inFlight.size === 0) return true;
    const fullBatchWaits = !this.batchable || this.queuedRows >= this.settings.maxBatchSize;
    return this.inFlight.size === 1 && this.options.queuesRuns === true && fullBatchWaits;
  }

  private schedule() {
    if (!this.mayDispatch()) return;
    const waitForMore =
      this.inFlight.size === 0 &&
      this.batchable &&
      this.settings.maxQueueDelayMs > 0 &&
      this.queuedRows < this.settings.maxBatchSize;
    if (waitForMore) {
      this.delayTimer ??= setTimeout(() => {
        this.delayTimer = undefined;
        void this.dispatch();
      }, this.settings.maxQueueDelayMs);
      return;
    }
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    void this.dispatch();
  }

  /** The queue's head plus every later request of the same shape that still fits. */
  private takeBatch(): Entry[] {
    const head = this.queue[0]!;
    if (!this.batchable) {
      this.queue.shift();
      this.queuedRows -= head.rows;
      return [head];
    }
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    let rows = 0;
    for (const entry of this.queue) {
      const fits = batch.length === 0 || rows + entry.rows <= this.settings.maxBatchSize;
      if (fits && (entry === head || sameRowShape(entry.inputs, head.inputs))) {
        batch.push(entry);
        rows += entry.rows;
      } else {
        rest.push(entry);
      }
    }
    this.queue = rest;
    this.queuedRows -= rows;
    return batch;
  }

  private async dispatch() {
    if (!this.mayDispatch()) return;
    const batch = this.takeBatch();
    this.inFlight.add(batch);
    let answer = answerNobody;
    try {
      answer = await this.runBatch(batch);
    } catch (error) {
      answer = () => this.rejectAll(batch, error as Error);
    } finally {
      this.inFlight.delete(batch);
      // The next batch goes to the session before this one's requests are answered.
      this.schedule();
      answer();
      this.notifyIdle();
    }
  }

  /** Runs one batch and returns how to answer its requests (the caller decides when). */
  private async runBatch(batch: Entry[]): Promise<() => void> {
    for (const entry of batch) entry.state = "running";
    const sentAt = performance.now();
    const rows = batch.reduce((sum, entry) => sum + entry.rows, 0);
    const feeds =
      batch.length === 1
        ? batch[0]!.inputs
        : Object.fromEntries(
            Object.keys(batch[0]!.inputs).map((name) => {
              const parts = batch.map((entry) => entry.inputs[name]!);
              const first = parts[0]!;
              const data = concatData(
                parts.map((part) => part.data),
                parts.reduce((sum, part) => sum + part.data.length, 0),
              );
              return [name, { type: first.type, dims: [rows, ...first.dims.slice(1)], data }];
            }),
          );
    let outputs: Record<string, HostTensor>;
    try {
      outputs = await this.options.run(feeds, rows);
    } catch (error) {
      // One request's values can make a batched run fail; run them one by one so only it fails.
      if (error instanceof RunError && batch.length > 1) return this.runOneByOne(batch);
      return () => this.rejectAll(batch, error as Error);
    }
    const endedAt = performance.now();
    // Sent while another batch ran, this one started when that one came back.
    const startedAt = Math.max(sentAt, this.lastRunEndedAt);
    this.lastRunEndedAt = endedAt;
    const computeMs = endedAt - startedAt;
    this.options.onRun?.(rows, computeMs);
    if (batch.length > 1 && Object.values(outputs).some((tensor) => tensor.dims[0] !== rows)) {
      // An output without a batch dimension cannot be split: stop batching this version.
      this.batchable = false;
      return this.runOneByOne(batch);
    }
    return () => {
      const rowSizes: Record<string, number> = {};
      for (const name in outputs) rowSizes[name] = outputs[name]!.data.length / rows;
      let offset = 0;
      for (const entry of batch) {
        const from = offset;
        offset += entry.rows;
        if (entry.state === "settled") continue;
        let own = outputs;
        if (batch.length > 1) {
          own = {};
          for (const name in outputs) own[name] = sliceRows(outputs[name]!, rowSizes[name]!, from, offset);
        }
        entry.state = "settled";
        entry.resolve({ outputs: own, queueMs: startedAt - entry.enqueuedAt, computeMs, batchRows: rows });
      }
    };
  }

  /** Runs and answers the requests of a batch one at a time; nothing is left to answer after. */
  private async runOneByOne(batch: Entry[]): Promise<() => void> {
    for (const entry of batch) {
      if (entry.state === "settled") continue;
      (await this.runBatch([entry]))();
    }
    return answerNobody;
  }

  private rejectAll(batch: Entry[], error: Error) {
    for (const entry of batch) {
      if (entry.state === "settled") continue;
      entry.state = "settled";
      entry.reject(error);
    }
  }

  private notifyIdle() {
    if (this.inFlight.size > 0 || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
