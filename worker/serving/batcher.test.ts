import { describe, expect, it } from "vitest";
import { Batcher, QueueFullError, RequestTimeoutError, type BatchSettings } from "./batcher";
import { RunError } from "./session-client";
import type { HostTensor } from "./tensors";

/** A stand-in session: doubles its input row by row, after a short asynchronous delay. */
function doublingSession(options: { failOn?: number; withoutBatchDim?: boolean } = {}) {
  const runs: number[] = [];
  const run = async (feeds: Record<string, HostTensor>) => {
    const input = feeds.x!;
    runs.push(input.dims[0]!);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const values = input.data as Float32Array;
    if (options.failOn !== undefined && values.includes(options.failOn)) throw new RunError("bad value");
    const doubled = values.map((value) => value * 2);
    const output: HostTensor = options.withoutBatchDim
      ? { type: "float32", dims: [1], data: Float32Array.of(doubled.reduce((a, b) => a + b, 0)) }
      : { type: "float32", dims: [...input.dims], data: doubled };
    return { y: output };
  };
  return { run, runs };
}

const rowsOf = (...values: number[][]): Record<string, HostTensor> => ({
  x: { type: "float32", dims: [values.length, values[0]!.length], data: Float32Array.from(values.flat()) },
});

const settings = (overrides: Partial<BatchSettings> = {}): BatchSettings => ({
  maxBatchSize: 32,
  maxQueueDelayMs: 0,
  maxQueueSize: 100,
  ...overrides,
});

describe("Batcher", () => {
  it("runs requests that arrive while the session is busy as one batch and splits the outputs", async () => {
    const session = doublingSession();
    const batcher = new Batcher({ batchable: true, run: session.run, settings: settings() });
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((value) => batcher.submit(rowsOf([value, value + 0.5]), 1, 1000)),
    );
    expect(results.map((result) => Array.from(result.outputs.y!.data as Float32Array))).toEqual([
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
      [10, 11],
    ]);
    expect(session.runs).toEqual([1, 4]);
    expect(results.map((result) => result.batchRows)).toEqual([1, 4, 4, 4, 4]);
  });

  it("respects the maximum batch size and only merges requests of the same shape", async () => {
    const session = doublingSession();
    const batcher = new Batcher({ batchable: true, run: session.run, settings: settings({ maxBatchSize: 3 }) });
    const first = batcher.submit(rowsOf([0, 0]), 1, 1000);
    const queued = [
      batcher.submit(rowsOf([1, 1], [2, 2]), 2, 1000),
      batcher.submit(rowsOf([3, 3, 3]), 1, 1000),
      batcher.submit(rowsOf([4, 4]), 1, 1000),
      batcher.submit(rowsOf([5, 5]), 1, 1000),
    ];
    await Promise.all([first, ...queued]);
    // [1,1],[2,2] and [4,4] fill a batch of 3; the 3-wide row and [5,5] run after.
    expect(session.runs).toEqual([1, 3, 1, 1]);
    expect(Array.from((await queued[1]!).outputs.y!.data as Float32Array)).toEqual([6, 6, 6]);
  });

  it("waits up to maxQueueDelayMs for company when idle", async () => {
    const session = doublingSession();
    const batcher = new Batcher({ batchable: true, run: session.run, settings: settings({ maxQueueDelayMs: 30 }) });
    const first = batcher.submit(rowsOf([1, 1]), 1, 1000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = batcher.submit(rowsOf([2, 2]), 1, 1000);
    await Promise.all([first, second]);
    expect(session.runs).toEqual([2]);
  });

  it("refuses requests beyond the queue size and times out requests that wait too long", async () => {
    const session = doublingSession();
    const batcher = new Batcher({ batchable: false, run: session.run, settings: settings({ maxQueueSize: 2 }) });
    const running = batcher.submit(rowsOf([1, 1]), 1, 1000);
    const waiting = [batcher.submit(rowsOf([2, 2]), 1, 1000), batcher.submit(rowsOf([3, 3]), 1, 1)];
    expect(() => batcher.submit(rowsOf([4, 4]), 1, 1000)).toThrow(QueueFullError);
    await expect(waiting[1]).rejects.toThrow(RequestTimeoutError);
    await Promise.all([running, waiting[0]]);
    expect(session.runs).toEqual([1, 1]);
    await batcher.drain();
    expect(batcher.depth).toBe(0);
  });

  it("fails only the request whose values make a batched run fail", async () => {
    const session = doublingSession({ failOn: 13 });
    const batcher = new Batcher({ batchable: true, run: session.run, settings: settings() });
    const results = await Promise.allSettled(
      [1, 2, 13, 4].map((value) => batcher.submit(rowsOf([value, value]), 1, 1000)),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  });

  it("starts the next batch before answering the requests of the one that returned", async () => {
    const events: string[] = [];
    const session = doublingSession();
    const run = (feeds: Record<string, HostTensor>) => {
      events.push(`run ${feeds.x!.dims[0]}`);
      return session.run(feeds);
    };
    const batcher = new Batcher({ batchable: true, run, settings: settings() });
    const first = batcher.submit(rowsOf([1, 1]), 1, 1000).then(() => events.push("answered the first"));
    const queued = [2, 3].map((value) => batcher.submit(rowsOf([value, value]), 1, 1000));
    await Promise.all([first, ...queued]);
    expect(events).toEqual(["run 1", "run 2", "answered the first"]);
  });

  it("sends a session that queues runs the next full batch while one runs, and times each from its real start", async () => {
    // Like a session thread: runs one batch at a time, in the order they were sent.
    const ended: number[] = [];
    let free = Promise.resolve();
    const serialRun = (feeds: Record<string, HostTensor>) => {
      const result = free.then(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        ended.push(performance.now());
        return { y: feeds.x! };
      });
      free = result.then(() => undefined);
      return result;
    };
    let sent = 0;
    let mostInFlight = 0;
    let inFlight = 0;
    const run = async (feeds: Record<string, HostTensor>) => {
      sent++;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await serialRun(feeds);
      } finally {
        inFlight--;
      }
    };
    const batcher = new Batcher({
      batchable: true,
      run,
      settings: settings({ maxBatchSize: 2, maxQueueSize: 3 }),
      queuesRuns: true,
    });
    const first = batcher.submit(rowsOf([1, 1]), 1, 1000);
    const full = [batcher.submit(rowsOf([2, 2]), 1, 1000), batcher.submit(rowsOf([3, 3]), 1, 1000)];
    // The batch sent early still counts as waiting: room for one more request, not three.
    expect(batcher.depth).toBe(2);
    const last = batcher.submit(rowsOf([4, 4]), 1, 1000);
    expect(() => batcher.submit(rowsOf([5, 5]), 1, 1000)).toThrow(QueueFullError);
    const results = await Promise.all([first, ...full]);
    await last;
    expect(sent).toBe(3);
    expect(mostInFlight).toBe(2);
    expect(results.map((result) => Array.from(result.outputs.y!.data as Float32Array))).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // The second batch waited for the first: that is queue time; its compute time is its own run.
    const second = results[1]!;
    expect(second.queueMs).toBeGreaterThanOrEqual(15);
    expect(Math.abs(second.computeMs - (ended[1]! - ended[0]!))).toBeLessThan(8);

    // Without queuesRuns the batcher waits for each run to come back before sending the next.
    sent = 0;
    mostInFlight = 0;
    const plain = new Batcher({ batchable: true, run, settings: settings({ maxBatchSize: 2 }) });
    await Promise.all([1, 2, 3].map((value) => plain.submit(rowsOf([value, value]), 1, 1000)));
    expect(mostInFlight).toBe(1);
  });

  it("times out each request after its own timeout, with one timer for all of them", async () => {
    const session = doublingSession();
    const batcher = new Batcher({ batchable: false, run: session.run, settings: settings() });
    const started = performance.now();
    const running = batcher.submit(rowsOf([1, 1]), 1, 1000);
    const patient = batcher.submit(rowsOf([2, 2]), 1, 1000);
    const hurried = batcher.submit(rowsOf([3, 3]), 1, 2);
    await expect(hurried).rejects.toThrow(/did not finish within 2 ms/);
    expect(performance.now() - started).toBeLessThan(500);
    await expect(Promise.all([running, patient])).resolves.toHaveLength(2);
    const late = batcher.submit(rowsOf([4, 4]), 1, 1);
    await expect(late).rejects.toThrow(RequestTimeoutError);
    await batcher.drain();
  });

  it("stops batching a version whose outputs have no batch dimension", async () => {
    const session = doublingSession({ withoutBatchDim: true });
    const batcher = new Batcher({ batchable: true, run: session.run, settings: settings() });
    const results = await Promise.all([1, 2, 3].map((value) => batcher.submit(rowsOf([value, value]), 1, 1000)));
    expect(results.map((result) => Array.from(result.outputs.y!.data as Float32Array))).toEqual([[4], [8], [12]]);
    const before = session.runs.length;
    await Promise.all([batcher.submit(rowsOf([1, 1]), 1, 1000), batcher.submit(rowsOf([1, 1]), 1, 1000)]);
    expect(session.runs.slice(before)).toEqual([1, 1]);
  });
});
