import { describe, expect, it, vi } from "vitest";
import { LatencyHistogram } from "./histogram";
import { MetricsRecorder, type BucketRecord, type MetricsRecorderOptions } from "./metrics-recorder";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const V1 = { modelId: "model-a", versionId: "version-1", version: 1 };
const V2 = { modelId: "model-a", versionId: "version-2", version: 2 };

/**
 * A recorder on a hand-driven clock, writing into `written` unless `failing` is set; `beforeWrite`
 * lets a test hold a write in flight.
 */
function setup(options: Partial<MetricsRecorderOptions> = {}) {
  const clock = { now: T0 };
  const written: BucketRecord[][] = [];
  const state: { failing: boolean; beforeWrite?: () => Promise<void>; afterWrite?: () => void } = { failing: false };
  const recorder = new MetricsRecorder({
    replicaId: "replica-1",
    now: () => clock.now,
    write: async (records) => {
      await state.beforeWrite?.();
      if (state.failing) throw new Error("store unreachable");
      written.push([...records]);
      state.afterWrite?.();
    },
    ...options,
  });
  const at = (offsetMs: number) => (clock.now = T0 + offsetMs);
  return { recorder, at, written, state };
}

const request = (latencyMs: number, ok = true, ref = V1) => ({
  ...ref,
  latencyMs,
  queueMs: latencyMs / 4,
  computeMs: latencyMs / 2,
  ok,
});

const starts = (records: BucketRecord[]) => records.map((record) => record.bucketStart.toISOString());

describe("MetricsRecorder", () => {
  it("sums requests, errors, latency and batch sizes per version and 10-second bucket", async () => {
    const { recorder, at, written } = setup();
    at(1_000);
    recorder.recordRequest(request(10));
    recorder.recordBatch({ ...V1, rows: 4 });
    at(9_999);
    recorder.recordRequest(request(30, false));
    recorder.recordBatch({ ...V1, rows: 4 });
    recorder.recordBatch({ ...V1, rows: 1 });
    recorder.recordRequest(request(50, true, V2));
    at(10_000);
    recorder.recordRequest(request(70));

    expect(await recorder.flush()).toEqual({ written: 2, pending: 0 });
    const [batch] = written;
    const first = batch!.find((record) => record.versionId === V1.versionId)!;
    const latency = new LatencyHistogram();
    latency.record(10);
    latency.record(30);
    expect(first).toEqual({
      ...V1,
      replicaId: "replica-1",
      resolutionSeconds: 10,
      bucketStart: new Date(T0),
      requests: 2,
      errors: 1,
      latency: latency.toSparse(),
      queueMsSum: 10,
      computeMsSum: 20,
      batchSizes: { 1: 1, 4: 2 },
      lastRequestAt: new Date(T0 + 9_999),
    });
    const second = batch!.find((record) => record.versionId === V2.versionId)!;
    expect(second).toMatchObject({ bucketStart: new Date(T0), requests: 1, errors: 0, batchSizes: {} });
    expect(batch).toHaveLength(2);

    // The request at 10.000 s opened the next bucket, written once that one is over.
    at(20_000);
    expect(await recorder.flush()).toEqual({ written: 1, pending: 0 });
    expect(written[1]).toMatchObject([{ ...V1, bucketStart: new Date(T0 + 10_000), requests: 1 }]);
  });

  it("writes a bucket only once its window has passed, and each bucket once", async () => {
    const { recorder, at, written } = setup();
    at(12_000);
    recorder.recordRequest(request(5));
    at(19_999);
    expect(await recorder.flush()).toEqual({ written: 0, pending: 0 });
    at(20_000);
    expect(await recorder.flush()).toEqual({ written: 1, pending: 0 });
    expect(await recorder.flush()).toEqual({ written: 0, pending: 0 });
    expect(written.flatMap(starts)).toEqual([new Date(T0 + 10_000).toISOString()]);
  });

  it("sends open buckets' running totals with snapshotOpen, keeping them open, and only closed ones on failure", async () => {
    const { recorder, at, written, state } = setup();
    at(12_000);
    recorder.recordRequest(request(5));
    expect(await recorder.flush({ snapshotOpen: true })).toEqual({ written: 1, pending: 0 });
    at(15_000);
    recorder.recordRequest(request(7));
    state.failing = true;
    await expect(recorder.flush({ snapshotOpen: true })).rejects.toThrow("store unreachable");
    expect(recorder.pendingBuckets).toBe(0);
    state.failing = false;
    at(20_000);
    // The window has passed: the bucket is closed with both requests, in the same place.
    expect(await recorder.flush({ snapshotOpen: true })).toEqual({ written: 1, pending: 0 });
    expect(written.map((batch) => batch.map((record) => [record.bucketStart.getTime() - T0, record.requests]))).toEqual(
      [[[10_000, 1]], [[10_000, 2]]],
    );
  });

  it("keeps the buckets of a failed write and writes them with newer ones next time", async () => {
    const { recorder, at, written, state } = setup();
    recorder.recordRequest(request(5));
    at(10_000);
    state.failing = true;
    await expect(recorder.flush()).rejects.toThrow("store unreachable");
    expect(recorder.pendingBuckets).toBe(1);
    recorder.recordRequest(request(6));
    at(20_000);
    await expect(recorder.flush()).rejects.toThrow("store unreachable");
    expect(recorder.pendingBuckets).toBe(2);

    state.failing = false;
    expect(await recorder.flush()).toEqual({ written: 2, pending: 0 });
    expect(written.flatMap(starts)).toEqual([new Date(T0).toISOString(), new Date(T0 + 10_000).toISOString()]);
    expect(written.flat().map((record) => record.requests)).toEqual([1, 1]);
    expect(recorder.droppedBuckets).toBe(0);
  });

  it("drops the oldest buckets beyond maxPendingBuckets and counts them", async () => {
    const { recorder, at, written, state } = setup({ maxPendingBuckets: 3 });
    state.failing = true;
    for (let bucket = 0; bucket < 5; bucket++) {
      at(bucket * 10_000);
      recorder.recordRequest(request(bucket + 1));
    }
    at(50_000);
    await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.pendingBuckets).toBe(3);
    expect(recorder.droppedBuckets).toBe(2);

    // Buckets closed while the store is down also push the oldest out.
    recorder.recordRequest(request(6));
    at(60_000);
    recorder.recordRequest(request(7));
    expect(recorder.droppedBuckets).toBe(3);

    state.failing = false;
    await recorder.flush();
    expect(written.flatMap(starts)).toEqual([3, 4, 5].map((bucket) => new Date(T0 + bucket * 10_000).toISOString()));
  });

  it("runs overlapping flushes one after another, each bucket written once", async () => {
    const { recorder, at, written, state } = setup();
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    state.beforeWrite = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (written.length === 0) await firstHeld;
      inFlight--;
    };
    recorder.recordRequest(request(5));
    at(10_000);
    const first = recorder.flush();
    await vi.waitFor(() => expect(inFlight).toBe(1));
    recorder.recordRequest(request(6));
    at(20_000);
    const second = recorder.flush();
    const third = recorder.flush();
    release();
    expect(await Promise.all([first, second, third])).toEqual([
      { written: 1, pending: 0 },
      { written: 1, pending: 0 },
      { written: 0, pending: 0 },
    ]);
    expect(maxInFlight).toBe(1);
    expect(written.map(starts)).toEqual([[new Date(T0).toISOString()], [new Date(T0 + 10_000).toISOString()]]);
  });

  it("writes open buckets at stop, never throws, and keeps later requests out of the written window", async () => {
    const errors: unknown[] = [];
    const { recorder, at, written, state } = setup({ onError: (error) => errors.push(error) });
    at(3_000);
    recorder.recordRequest(request(5));
    recorder.recordRequest(request(5, true, V2));
    state.failing = true;
    await expect(recorder.stop()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(recorder.pendingBuckets).toBe(2);

    state.failing = false;
    await recorder.stop();
    expect(written.flat().map((record) => [record.versionId, record.bucketStart.getTime()])).toEqual([
      [V1.versionId, T0],
      [V2.versionId, T0],
    ]);
    // Same window as the written bucket: counted in the next one instead of a duplicate row.
    at(4_000);
    recorder.recordRequest(request(5));
    at(20_000);
    await recorder.flush();
    expect(written.flat().at(-1)).toMatchObject({ bucketStart: new Date(T0 + 10_000), requests: 1 });
  });

  it("flushes in the background every interval once started", async () => {
    const { recorder, at, written, state } = setup();
    const wrote = new Promise<void>((resolve) => (state.afterWrite = resolve));
    recorder.recordRequest(request(5));
    at(10_000);
    recorder.start(5);
    await wrote;
    await recorder.stop();
    expect(written.flat().map((record) => record.bucketStart)).toEqual([new Date(T0)]);
  });
});
