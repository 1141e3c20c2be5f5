/**
 * Dynamic batching for one hosted version. Requests queue while the session is busy; when it is free,
 * everything queued (up to maxBatchSize rows) runs as one `session.run` and the outputs are split
 * back per request. With maxQueueDelayMs > 0 an idle session also waits that long for company.
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
  /** Requests merge only when every dimension but the first matches. */
  shapeKey: string;
  enqueuedAt: number;
  state: "queued" | "running" | "settled";
  timer: NodeJS.Timeout;
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

export interface BatcherOptions {
  /** True when every input and output has a dynamic first dimension. */
  batchable: boolean;
  run: (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>;
  settings: BatchSettings;
  onRun?: (rows: number, computeMs: number) => void;
}

function shapeKeyOf(inputs: Record<string, HostTensor>): string {
  let key = "";
  for (const name in inputs) key += `${name}:${inputs[name]!.dims.slice(1).join("x")};`;
  return key;
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

function sliceRows(tensor: HostTensor, fromRow: number, toRow: number): HostTensor {
  const rowSize = tensor.dims.slice(1).reduce((size, dim) => size * dim, 1);
  const data = Array.isArray(tensor.data)
    ? tensor.data.slice(fromRow * rowSize, toRow * rowSize)
    : tensor.data.subarray(fromRow * rowSize, toRow * rowSize);
  return { type: tensor.type, dims: [toRow - fromRow, ...tensor.dims.slice(1)], data };
}

export class Batcher {
  private queue: Entry[] = [];
  private queuedRows = 0;
  private running = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private batchable: boolean;
  settings: BatchSettings;

  constructor(private readonly options: BatcherOptions) {
    this.batchable = options.batchable;
    this.settings = options.settings;
  }

  /** Requests waiting for the session. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues one request of `rows` rows; throws QueueFullError at once when the queue is full. */
  submit(inputs: Record<string, HostTensor>, rows: number, timeoutMs: number): Promise<BatchResult> {
    if (this.queue.length >= this.settings.maxQueueSize) {
      throw new QueueFullError(`the queue is full (${this.settings.maxQueueSize} requests waiting)`);
    }
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        inputs,
        rows,
        shapeKey: this.batchable ? shapeKeyOf(inputs) : "",
        enqueuedAt: performance.now(),
        state: "queued",
        timer: setTimeout(() => this.expire(entry, timeoutMs), timeoutMs),
        resolve,
        reject,
      };
      this.queue.push(entry);
      this.queuedRows += rows;
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (used before a replaced session is released). */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private expire(entry: Entry, timeoutMs: number) {
    if (entry.state === "settled") return;
    if (entry.state === "queued") {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.queuedRows -= entry.rows;
    }
    entry.state = "settled";
    entry.reject(new RequestTimeoutError(`the request did not finish within ${timeoutMs} ms`));
    this.notifyIdle();
  }

  private schedule() {
    if (this.running || this.queue.length === 0) return;
    const waitForMore =
      this.batchable && this.settings.maxQueueDelayMs > 0 && this.queuedRows < this.settings.maxBatchSize;
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
      if (fits && entry.shapeKey === head.shapeKey) {
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
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.takeBatch();
    try {
      await this.runBatch(batch);
    } finally {
      this.running = false;
      this.schedule();
      this.notifyIdle();
    }
  }

  private async runBatch(batch: Entry[]) {
    for (const entry of batch) entry.state = "running";
    const startedAt = performance.now();
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
      outputs = await this.options.run(feeds);
    } catch (error) {
      // One request's values can make a batched run fail; run them one by one so only it fails.
      if (error instanceof RunError && batch.length > 1) return this.runOneByOne(batch);
      for (const entry of batch) this.settle(entry, (e) => e.reject(error as Error));
      return;
    }
    const computeMs = performance.now() - startedAt;
    this.options.onRun?.(rows, computeMs);
    if (batch.length > 1 && Object.values(outputs).some((tensor) => tensor.dims[0] !== rows)) {
      // An output without a batch dimension cannot be split: stop batching this version.
      this.batchable = false;
      return this.runOneByOne(batch);
    }
    let offset = 0;
    for (const entry of batch) {
      const from = offset;
      offset += entry.rows;
      const own =
        batch.length === 1
          ? outputs
          : Object.fromEntries(
              Object.entries(outputs).map(([name, tensor]) => [name, sliceRows(tensor, from, offset)]),
            );
      this.settle(entry, (e) =>
        e.resolve({ outputs: own, queueMs: startedAt - e.enqueuedAt, computeMs, batchRows: rows }),
      );
    }
  }

  private async runOneByOne(batch: Entry[]) {
    for (const entry of batch) {
      if (entry.state === "settled") continue;
      await this.runBatch([entry]);
    }
  }

  private settle(entry: Entry, action: (entry: Entry) => void) {
    clearTimeout(entry.timer);
    if (entry.state === "settled") return;
    entry.state = "settled";
    action(entry);
  }

  private notifyIdle() {
    if (this.running || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
