import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { mulberry32 } from "@/lib/onnx";
import { LatencyHistogram } from "@/lib/serving/histogram";
import {
  endpointSummaries,
  MERGED_REPLICA_ID,
  presetWindow,
  queryEndpointSeries,
  rollupBuckets,
  ROLLUP_LOCK_NAME,
  writeBuckets,
  type SeriesQuery,
  type SeriesResult,
} from "@/lib/serving/metric-store";
import { BucketTotals, type BucketRecord } from "@/lib/serving/metrics-recorder";
import { seriesPointSchema } from "@/lib/serving/schemas";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const random = mulberry32(2026);
/** Log-normal latencies around 20 ms. */
const latencies = (count: number) =>
  Array.from(
    { length: count },
    () => 20 * Math.exp(0.7 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())),
  );

interface VersionRef {
  modelId: string;
  versionId: string;
  version: number;
}

function newModel(versionCount: number): VersionRef[] {
  const modelId = randomUUID();
  return Array.from({ length: versionCount }, (_, index) => ({ modelId, versionId: randomUUID(), version: index + 1 }));
}

/** A bucket as a replica would write it: the first `errors` requests failed; queue = ms/4, compute = ms/2. */
function bucket(
  ref: VersionRef,
  replicaId: string,
  startMs: number,
  values: number[],
  options: { errors?: number; batches?: Record<number, number>; resolutionSeconds?: number } = {},
): BucketRecord {
  const totals = new BucketTotals();
  values.forEach((ms, index) =>
    totals.recordRequest(ms, ms / 4, ms / 2, index >= (options.errors ?? 0), startMs + index),
  );
  for (const [rows, runs] of Object.entries(options.batches ?? {})) {
    for (let run = 0; run < runs; run++) totals.recordBatch(Number(rows), startMs);
  }
  return {
    ...ref,
    replicaId,
    resolutionSeconds: options.resolutionSeconds ?? 10,
    bucketStart: new Date(startMs),
    ...totals.toCounts(),
  };
}

const histogramOf = (values: number[]) => {
  const histogram = new LatencyHistogram();
  values.forEach((value) => histogram.record(value));
  return histogram;
};

const percentiles = (values: number[]) => {
  const histogram = histogramOf(values);
  return { p50Ms: histogram.quantile(0.5), p95Ms: histogram.quantile(0.95), p99Ms: histogram.quantile(0.99) };
};

const rowsOf = (modelId: string) =>
  db().endpointMetricBucket.findMany({
    where: { modelId },
    orderBy: [{ resolutionSeconds: "asc" }, { bucketStart: "asc" }, { version: "asc" }, { replicaId: "asc" }],
  });

describe("writeBuckets", () => {
  it("stores each bucket once: writing it again (a retried flush, newer running totals) replaces it", async () => {
    const [v1] = newModel(1);
    const start = Date.parse("2026-03-01T10:00:00Z");
    const records = [
      bucket(v1!, "replica-1", start, latencies(5), { errors: 1, batches: { 4: 2 } }),
      bucket(v1!, "replica-2", start, latencies(3)),
      bucket(v1!, "replica-1", start + 10 * SECOND, latencies(2)),
    ];
    expect(await writeBuckets(db(), records)).toBe(3);
    const stored = await rowsOf(v1!.modelId);
    expect(await writeBuckets(db(), records)).toBe(3);
    expect(await writeBuckets(db(), [])).toBe(0);
    expect(await rowsOf(v1!.modelId)).toEqual(stored);
    // Float sums may come back one ulp off: Prisma can drop the last digit of a float parameter.
    expect(stored.map(({ id: _id, ...row }) => row)).toEqual(
      records.map((record) => ({
        ...record,
        queueMsSum: expect.closeTo(record.queueMsSum, 9),
        computeMsSum: expect.closeTo(record.computeMsSum, 9),
      })),
    );
  });

  it("replaces a bucket's earlier totals with its later ones, in place", async () => {
    const [v1] = newModel(1);
    const start = Date.parse("2026-03-01T11:00:00Z");
    await writeBuckets(db(), [bucket(v1!, "replica-1", start, latencies(2))]);
    const [first] = await rowsOf(v1!.modelId);
    const grown = bucket(v1!, "replica-1", start, latencies(7), { errors: 2, batches: { 1: 7 } });
    // The same bucket twice in one write: the last totals win.
    expect(await writeBuckets(db(), [bucket(v1!, "replica-1", start, latencies(5)), grown])).toBe(1);
    const rows = await rowsOf(v1!.modelId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: first!.id, requests: 7, errors: 2, batchSizes: { "1": 7 } });
  });
});

describe("queryEndpointSeries", () => {
  const T = Date.parse("2026-03-01T10:00:00Z");

  it("merges replicas per step, fills steps without data with zeros and sums batches and versions", async () => {
    const [v1, v2] = newModel(2);
    const r1 = latencies(200);
    const r2 = latencies(300);
    const later = latencies(50);
    const other = latencies(40);
    await writeBuckets(db(), [
      bucket(v1!, "replica-1", T, r1, { errors: 4, batches: { 8: 20, 1: 3 } }),
      bucket(v1!, "replica-2", T, r2, { errors: 1, batches: { 8: 10 } }),
      bucket(v2!, "replica-1", T + 10 * SECOND, other, { batches: { 2: 5 } }),
      bucket(v1!, "replica-1", T + 30 * SECOND, later),
    ]);
    const query: SeriesQuery = {
      modelId: v1!.modelId,
      from: new Date(T + 5 * SECOND),
      to: new Date(T + 60 * SECOND),
      stepSeconds: 10,
    };
    const series = await queryEndpointSeries(db(), query);

    expect(series.points.map((point) => point.start)).toEqual(
      [0, 10, 20, 30, 40, 50].map((offset) => new Date(T + offset * SECOND).toISOString()),
    );
    for (const point of series.points) seriesPointSchema.parse(point);
    const merged = [...r1, ...r2];
    expect(series.points[0]).toEqual({
      start: new Date(T).toISOString(),
      requests: 500,
      errors: 5,
      requestsPerSecond: 50,
      errorRate: 0.01,
      ...percentiles(merged),
      meanQueueMs: expect.closeTo(merged.reduce((sum, ms) => sum + ms, 0) / 4 / 500, 9),
      meanComputeMs: expect.closeTo(merged.reduce((sum, ms) => sum + ms, 0) / 2 / 500, 9),
    });
    expect(series.points[1]).toMatchObject({ requests: 40, ...percentiles(other) });
    expect(series.points[2]).toEqual({
      start: new Date(T + 20 * SECOND).toISOString(),
      requests: 0,
      errors: 0,
      requestsPerSecond: 0,
      errorRate: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      meanQueueMs: null,
      meanComputeMs: null,
    });
    expect(series.points[3]).toMatchObject({ requests: 50, ...percentiles(later) });
    expect(series.batchSizes).toEqual([
      { rows: 1, runs: 3 },
      { rows: 2, runs: 5 },
      { rows: 8, runs: 30 },
    ]);
    expect(series.versions).toEqual([
      { versionId: v1!.versionId, version: 1, requests: 550 },
      { versionId: v2!.versionId, version: 2, requests: 40 },
    ]);

    const onlyV1 = await queryEndpointSeries(db(), { ...query, versionId: v1!.versionId });
    expect(onlyV1.points[1]!.requests).toBe(0);
    expect(onlyV1.versions.map((version) => version.version)).toEqual([1]);
    expect(onlyV1.batchSizes).toEqual([
      { rows: 1, runs: 3 },
      { rows: 8, runs: 30 },
    ]);

    // One step over the minute: everything merged; it is 55 s long so far, which is what the rate is over.
    const minute = await queryEndpointSeries(db(), { ...query, to: new Date(T + 55 * SECOND), stepSeconds: 60 });
    expect(minute.points).toHaveLength(1);
    expect(minute.points[0]).toMatchObject({
      requests: 590,
      requestsPerSecond: 590 / 55,
      ...percentiles([...merged, ...other, ...later]),
    });
  });

  it("lays preset windows on step boundaries ending with the current step", () => {
    const now = new Date("2026-03-01T10:07:33.250Z");
    const windows = {
      "15m": presetWindow("15m", now),
      "1h": presetWindow("1h", now),
      "24h": presetWindow("24h", now),
    };
    expect(windows["15m"]).toEqual({ from: new Date("2026-03-01T09:52:40Z"), to: now, stepSeconds: 10 });
    expect(windows["1h"]).toEqual({ from: new Date("2026-03-01T09:08:00Z"), to: now, stepSeconds: 60 });
    expect(windows["24h"]).toEqual({ from: new Date("2026-02-28T10:10:00Z"), to: now, stepSeconds: 600 });
  });

  it("returns one point per step of a preset window", async () => {
    const [v1] = newModel(1);
    const now = new Date("2026-03-01T10:07:33.250Z");
    for (const [preset, count] of [
      ["15m", 90],
      ["1h", 60],
      ["24h", 144],
    ] as const) {
      const series = await queryEndpointSeries(db(), { modelId: v1!.modelId, ...presetWindow(preset, now) });
      expect(series.points, preset).toHaveLength(count);
    }
  });
});

/** Everything a rollup must keep: counts, rates and percentiles exactly; means up to summation order. */
function expectSameSeries(actual: SeriesResult, expected: SeriesResult) {
  const exact = (series: SeriesResult) =>
    series.points.map(({ meanQueueMs: _queue, meanComputeMs: _compute, ...point }) => point);
  expect(exact(actual)).toEqual(exact(expected));
  actual.points.forEach((point, index) => {
    for (const key of ["meanQueueMs", "meanComputeMs"] as const) {
      const before = expected.points[index]![key];
      if (before === null) expect(point[key]).toBeNull();
      else expect(point[key]).toBeCloseTo(before, 9);
    }
  });
  expect(actual.batchSizes).toEqual(expected.batchSizes);
  expect(actual.versions).toEqual(expected.versions);
}

describe("rollupBuckets", () => {
  // The rollup works on the whole table, so each test starts from an empty one.
  beforeEach(async () => {
    await db().endpointMetricBucket.deleteMany();
  });

  const NOW = new Date("2026-04-10T12:00:07.000Z");
  /** The first minute that still has to stay at 10 s: it ends less than two hours before NOW. */
  const MINUTE_HORIZON = Date.parse("2026-04-10T10:00:00Z");

  /** Three old minutes on two replicas, a minute on the horizon, recent buckets and two-day-old ones. */
  function dataset(v1: VersionRef, v2: VersionRef): BucketRecord[] {
    const records: BucketRecord[] = [];
    const oldMinutes = MINUTE_HORIZON - HOUR;
    for (let minute = 0; minute < 3; minute++) {
      for (let slot = 0; slot < 6; slot++) {
        const start = oldMinutes + minute * MINUTE + slot * 10 * SECOND;
        records.push(bucket(v1, "replica-1", start, latencies(20), { errors: slot % 2, batches: { 4: 3 } }));
        records.push(bucket(v1, "replica-2", start, latencies(15), { batches: { 1: 2 } }));
        if (minute === 1) records.push(bucket(v2, "replica-1", start, latencies(10)));
      }
    }
    records.push(bucket(v1, "replica-1", MINUTE_HORIZON - 10 * SECOND, latencies(7)));
    records.push(bucket(v1, "replica-1", MINUTE_HORIZON, latencies(9)));
    for (const replica of ["replica-1", "replica-2", "replica-3"]) {
      records.push(bucket(v1, replica, NOW.getTime() - 30 * MINUTE, latencies(4)));
    }
    const twoDaysAgo = Date.parse("2026-04-08T10:00:00Z");
    for (let slot = 0; slot < 12; slot++) {
      for (const replica of ["replica-1", "replica-2"]) {
        records.push(bucket(v1, replica, twoDaysAgo + slot * 10 * SECOND, latencies(6), { errors: 1 }));
      }
    }
    return records;
  }

  it("merges old buckets into minutes and hours without changing any series, and expires old hours", async () => {
    const [v1, v2] = newModel(2);
    const records = dataset(v1!, v2!);
    const hourly = (iso: string) =>
      bucket(v1!, MERGED_REPLICA_ID, Date.parse(iso), latencies(3), { resolutionSeconds: 3600 });
    // Retention is 90 days before NOW, 2026-01-10T12:00:07.
    const expired = hourly("2026-01-09T12:00:00Z");
    const kept = hourly("2026-01-11T12:00:00Z");
    await writeBuckets(db(), [...records, expired, kept]);

    const byMinute = { modelId: v1!.modelId, from: new Date(NOW.getTime() - 4 * HOUR), to: NOW, stepSeconds: 60 };
    const byHour = { modelId: v1!.modelId, from: new Date(NOW.getTime() - 89.5 * DAY), to: NOW, stepSeconds: 3600 };
    const twoDaysAgoByMinute = {
      ...byMinute,
      from: new Date("2026-04-08T10:00:00Z"),
      to: new Date("2026-04-08T11:00:00Z"),
    };
    const requestsIn = (series: SeriesResult) => series.points.map((point) => point.requests).filter(Boolean);
    const [minutesBefore, hoursBefore, twoDaysAgoBefore] = await Promise.all([
      queryEndpointSeries(db(), byMinute),
      queryEndpointSeries(db(), byHour),
      queryEndpointSeries(db(), twoDaysAgoByMinute),
    ]);
    expect(requestsIn(twoDaysAgoBefore)).toEqual([72, 72]);
    expect(minutesBefore.points.reduce((sum, point) => sum + point.requests, 0)).toBe(3 * 6 * 35 + 6 * 10 + 7 + 9 + 12);

    const result = await rollupBuckets(db(), NOW);
    expect(result).toEqual({
      ran: true,
      levels: [
        // 36 + 6 (v2) + 1 (just before the horizon) + 24 two days old → 3 + 1 + 1 + 2 minutes.
        { fromSeconds: 10, toSeconds: 60, sourceRows: 67, mergedRows: 7 },
        { fromSeconds: 60, toSeconds: 3600, sourceRows: 2, mergedRows: 1 },
      ],
      expiredRows: 1,
    });
    expectSameSeries(await queryEndpointSeries(db(), byMinute), minutesBefore);
    expectSameSeries(await queryEndpointSeries(db(), byHour), hoursBefore);
    // A step finer than the stored rows shows nothing rather than a whole hour piled on its first minute.
    expect(requestsIn(await queryEndpointSeries(db(), twoDaysAgoByMinute))).toEqual([]);

    const rows = await rowsOf(v1!.modelId);
    const raw = rows.filter((row) => row.resolutionSeconds === 10);
    expect(raw.every((row) => row.bucketStart.getTime() >= MINUTE_HORIZON)).toBe(true);
    expect(raw).toHaveLength(4);
    const minutes = rows.filter((row) => row.resolutionSeconds === 60);
    expect(minutes.map((row) => [row.bucketStart.toISOString(), row.version, row.requests])).toEqual([
      ["2026-04-10T09:00:00.000Z", 1, 6 * 35],
      ["2026-04-10T09:01:00.000Z", 1, 6 * 35],
      ["2026-04-10T09:01:00.000Z", 2, 6 * 10],
      ["2026-04-10T09:02:00.000Z", 1, 6 * 35],
      ["2026-04-10T09:59:00.000Z", 1, 7],
    ]);
    const hours = rows.filter((row) => row.resolutionSeconds === 3600);
    expect(hours.map((row) => [row.bucketStart.toISOString(), row.requests, row.errors])).toEqual([
      [kept.bucketStart.toISOString(), 3, 0],
      ["2026-04-08T10:00:00.000Z", 24 * 6, 24],
    ]);
    expect(rows.filter((row) => row.resolutionSeconds > 10).every((row) => row.replicaId === MERGED_REPLICA_ID)).toBe(
      true,
    );
    const twoDayRows = records.filter((record) => record.bucketStart.getTime() < Date.parse("2026-04-09T00:00:00Z"));
    expect(hours[1]!.lastRequestAt).toEqual(new Date(Math.max(...twoDayRows.map((r) => r.lastRequestAt.getTime()))));

    expect(await rollupBuckets(db(), NOW)).toEqual({
      ran: true,
      levels: [
        { fromSeconds: 10, toSeconds: 60, sourceRows: 0, mergedRows: 0 },
        { fromSeconds: 60, toSeconds: 3600, sourceRows: 0, mergedRows: 0 },
      ],
      expiredRows: 0,
    });
  });

  it("adds late data to a minute already rolled up instead of replacing it", async () => {
    const [v1, v2] = newModel(2);
    await writeBuckets(db(), dataset(v1!, v2!));
    await rollupBuckets(db(), NOW);
    const minute = Date.parse("2026-04-10T09:01:00Z");
    const where = { versionId: v1!.versionId, resolutionSeconds: 60, bucketStart: new Date(minute) };
    const [rolledUp] = await db().endpointMetricBucket.findMany({ where });
    expect(rolledUp!.requests).toBe(6 * 35);

    // A replica that lost its store connection for hours flushes its backlog.
    const late = latencies(25);
    await writeBuckets(db(), [bucket(v1!, "replica-3", minute + 20 * SECOND, late, { errors: 2, batches: { 16: 1 } })]);
    const query = {
      modelId: v1!.modelId,
      versionId: v1!.versionId,
      from: new Date(minute),
      to: new Date(minute + MINUTE),
      stepSeconds: 60,
    };
    const withLate = await queryEndpointSeries(db(), query);
    expect(withLate.points[0]!.requests).toBe(6 * 35 + 25);

    const result = await rollupBuckets(db(), NOW);
    expect(result.levels[0]).toEqual({ fromSeconds: 10, toSeconds: 60, sourceRows: 2, mergedRows: 1 });
    expectSameSeries(await queryEndpointSeries(db(), query), withLate);
    const merged = await db().endpointMetricBucket.findMany({ where });
    expect(merged.map((row) => [row.requests, row.errors])).toEqual([[6 * 35 + 25, rolledUp!.errors + 2]]);
    const mergedLatency = LatencyHistogram.fromSparse(rolledUp!.latency as Record<string, number>);
    mergedLatency.merge(histogramOf(late));
    expect(merged[0]!.latency).toEqual(mergedLatency.toSparse());
    expect(merged[0]!.batchSizes).toEqual({ ...(rolledUp!.batchSizes as object), 16: 1 });
  });

  it("does nothing while another process holds the rollup lock", async () => {
    const [v1, v2] = newModel(2);
    await writeBuckets(db(), dataset(v1!, v2!));
    const before = await rowsOf(v1!.modelId);

    let locked!: () => void;
    let release!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const holder = db().$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${ROLLUP_LOCK_NAME}::text, 0))`;
        locked();
        await released;
      },
      { timeout: 30_000 },
    );
    await lockTaken;
    try {
      expect(await rollupBuckets(db(), NOW)).toEqual({ ran: false, levels: [], expiredRows: 0 });
      expect(await rowsOf(v1!.modelId)).toEqual(before);
    } finally {
      release();
      await holder;
    }
    expect((await rollupBuckets(db(), NOW)).ran).toBe(true);
  });
});

describe("endpointSummaries", () => {
  const NOW = new Date("2026-05-01T08:00:04.500Z");
  const WINDOW_START = Date.parse("2026-05-01T07:55:00Z");

  it("summarises the last five minutes of every model, with the last request of all time", async () => {
    const [a1, a2] = newModel(2);
    const [b1] = newModel(1);
    const [idle] = newModel(1);
    const first = latencies(120);
    const last = latencies(80);
    const other = latencies(100);
    const current = bucket(a1!, "replica-1", WINDOW_START + 5 * MINUTE, latencies(10));
    const yesterday = bucket(b1!, MERGED_REPLICA_ID, WINDOW_START - DAY, latencies(30), { resolutionSeconds: 60 });
    await writeBuckets(db(), [
      bucket(a1!, "replica-1", WINDOW_START - 10 * SECOND, latencies(50)),
      bucket(a1!, "replica-1", WINDOW_START, first, { errors: 6 }),
      bucket(a1!, "replica-2", WINDOW_START + 5 * MINUTE - 10 * SECOND, last),
      bucket(a2!, "replica-2", WINDOW_START + 2 * MINUTE, other, { errors: 3 }),
      // Flushed early at a shutdown: still in the open window, so outside the summary's window.
      current,
      yesterday,
    ]);

    const summaries = await endpointSummaries(db(), [a1!.modelId, b1!.modelId, idle!.modelId], { now: NOW });
    expect([...summaries.keys()]).toEqual([a1!.modelId, b1!.modelId, idle!.modelId]);
    expect(summaries.get(a1!.modelId)).toEqual({
      requests: 300,
      requestsPerSecond: 1,
      errorRate: 0.03,
      ...percentiles([...first, ...last, ...other]),
      lastRequestAt: current.lastRequestAt,
    });
    const none = { requests: 0, requestsPerSecond: 0, errorRate: 0, p50Ms: null, p95Ms: null, p99Ms: null };
    expect(summaries.get(b1!.modelId)).toEqual({ ...none, lastRequestAt: yesterday.lastRequestAt });
    expect(summaries.get(idle!.modelId)).toEqual({ ...none, lastRequestAt: null });

    const lastMinute = await endpointSummaries(db(), [a1!.modelId], { now: NOW, windowSeconds: 60 });
    expect(lastMinute.get(a1!.modelId)).toMatchObject({ requests: 80, requestsPerSecond: 80 / 60, errorRate: 0 });
    expect(await endpointSummaries(db(), [], { now: NOW })).toEqual(new Map());
  });
});
