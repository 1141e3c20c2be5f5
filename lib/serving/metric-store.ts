import type { Db, Prisma, Tx } from "@/lib/db";
import {
  addCounts,
  BucketTotals,
  DEFAULT_BUCKET_SECONDS,
  type BucketCounts,
  type BucketRecord,
} from "./metrics-recorder";
import type { EndpointRange, SeriesPoint } from "./schemas";

/**
 * Endpoint request statistics in Postgres (`endpoint_metric_bucket`): replicas write 10-second
 * buckets, a periodic rollup merges old ones into minutes and hours, and the dashboard
 * reads series and summaries. Every bucket holds only sums, maxima and count maps (latency
 * histogram, batch sizes), so merging rows of any resolution or replica is exact.
 */

type BucketClient = Pick<Db, "endpointMetricBucket">;

const HOUR_SECONDS = 3600;
const DAY_SECONDS = 24 * HOUR_SECONDS;

export const RAW_RESOLUTION_SECONDS = DEFAULT_BUCKET_SECONDS;
/** replicaId of rolled-up rows, which merge every replica's buckets. */
export const MERGED_REPLICA_ID = "";
/** Rows of `fromSeconds` whose whole coarse bucket ended more than `afterSeconds` ago become `toSeconds` rows. */
export const ROLLUP_LEVELS = [
  { fromSeconds: RAW_RESOLUTION_SECONDS, toSeconds: 60, afterSeconds: 2 * HOUR_SECONDS },
  { fromSeconds: 60, toSeconds: HOUR_SECONDS, afterSeconds: 48 * HOUR_SECONDS },
] as const;
/** Hourly rows are the coarsest and are deleted after this long. */
export const HOURLY_RETENTION_SECONDS = 90 * DAY_SECONDS;
/** Advisory lock (hashed to a bigint) so only one process rolls up at a time. */
export const ROLLUP_LOCK_NAME = "modelyard:endpoint-metric-rollup";
/** Source rows per level and run, to bound one transaction after a long backlog; the next run continues. */
export const ROLLUP_MAX_SOURCE_ROWS = 50_000;

// 13 bind values a row; Postgres allows 65 535 per statement.
const INSERT_CHUNK_ROWS = 1000;

const COUNT_FIELDS = {
  requests: true,
  errors: true,
  latency: true,
  queueMsSum: true,
  computeMsSum: true,
  batchSizes: true,
  lastRequestAt: true,
} as const;

interface StoredCounts {
  requests: number;
  errors: number;
  latency: Prisma.JsonValue;
  queueMsSum: number;
  computeMsSum: number;
  batchSizes: Prisma.JsonValue;
  lastRequestAt: Date;
}

const alignDown = (ms: number, seconds: number) => Math.floor(ms / (seconds * 1000)) * seconds * 1000;

/** A stored { key: count } JSON object; anything else reads as empty (BucketTotals skips bad counts). */
function countMap(json: Prisma.JsonValue): Record<string, number> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return {};
  const counts: Record<string, number> = {};
  for (const [key, value] of Object.entries(json)) if (typeof value === "number") counts[key] = value;
  return counts;
}

function countsOf(row: StoredCounts): BucketCounts {
  return {
    requests: row.requests,
    errors: row.errors,
    latency: countMap(row.latency),
    queueMsSum: row.queueMsSum,
    computeMsSum: row.computeMsSum,
    batchSizes: countMap(row.batchSizes),
    lastRequestAt: row.lastRequestAt,
  };
}

async function insertRecords(client: BucketClient, records: BucketRecord[]): Promise<number> {
  let inserted = 0;
  for (let offset = 0; offset < records.length; offset += INSERT_CHUNK_ROWS) {
    const data = records.slice(offset, offset + INSERT_CHUNK_ROWS);
    inserted += (await client.endpointMetricBucket.createMany({ data })).count;
  }
  return inserted;
}

const bucketKey = (record: BucketRecord) =>
  `${record.versionId}|${record.replicaId}|${record.resolutionSeconds}|${record.bucketStart.getTime()}`;

/**
 * Stores replicas' buckets and returns how many rows were written. Replicas send a bucket's running
 * totals, while it fills (so charts are seconds behind, not a bucket behind) and once it has closed,
 * so a bucket stored before is replaced, never added to: a retried flush changes nothing. The rows
 * travel as one JSON parameter.
 */
export async function writeBuckets(db: Db, records: BucketRecord[]): Promise<number> {
  // The latest totals of a bucket win; one statement may not touch a row twice.
  const latest = [...new Map(records.map((record) => [bucketKey(record), record])).values()];
  let written = 0;
  for (let offset = 0; offset < latest.length; offset += INSERT_CHUNK_ROWS) {
    const payload = JSON.stringify(
      latest.slice(offset, offset + INSERT_CHUNK_ROWS).map((record) => ({
        ...record,
        bucketStart: record.bucketStart.getTime(),
        lastRequestAt: record.lastRequestAt.getTime(),
      })),
    );
    written += await db.$executeRaw`
      INSERT INTO endpoint_metric_bucket (model_id, version_id, version, replica_id, resolution_seconds, bucket_start,
        requests, errors, latency, queue_ms_sum, compute_ms_sum, batch_sizes, last_request_at)
      SELECT "modelId", "versionId", version, "replicaId", "resolutionSeconds", to_timestamp("bucketStart" / 1000.0),
        requests, errors, latency, "queueMsSum", "computeMsSum", "batchSizes", to_timestamp("lastRequestAt" / 1000.0)
      FROM json_to_recordset(${payload}::json) AS given("modelId" uuid, "versionId" uuid, version int,
        "replicaId" text, "resolutionSeconds" int, "bucketStart" float8, requests int, errors int, latency jsonb,
        "queueMsSum" float8, "computeMsSum" float8, "batchSizes" jsonb, "lastRequestAt" float8)
      ON CONFLICT (version_id, replica_id, resolution_seconds, bucket_start) DO UPDATE SET
        requests = excluded.requests, errors = excluded.errors, latency = excluded.latency,
        queue_ms_sum = excluded.queue_ms_sum, compute_ms_sum = excluded.compute_ms_sum,
        batch_sizes = excluded.batch_sizes, last_request_at = excluded.last_request_at`;
  }
  return written;
}

export interface RollupLevelResult {
  fromSeconds: number;
  toSeconds: number;
  /** Rows merged away (the finer rows, plus coarse rows that late data was merged into). */
  sourceRows: number;
  /** Coarse rows written. */
  mergedRows: number;
}

export interface RollupResult {
  /** False when another process held the rollup lock; nothing was done. */
  ran: boolean;
  levels: RollupLevelResult[];
  expiredRows: number;
}

interface MergedBucket {
  modelId: string;
  versionId: string;
  version: number;
  startMs: number;
  totals: BucketTotals;
}

async function rollupLevel(
  tx: Tx,
  level: (typeof ROLLUP_LEVELS)[number],
  nowMs: number,
  maxSourceRows: number,
): Promise<RollupLevelResult> {
  const result = { fromSeconds: level.fromSeconds, toSeconds: level.toSeconds, sourceRows: 0, mergedRows: 0 };
  // Rows starting before this lie in coarse buckets that ended at least `afterSeconds` ago.
  const horizon = new Date(alignDown(nowMs - level.afterSeconds * 1000, level.toSeconds));
  const sources = await tx.endpointMetricBucket.findMany({
    where: { resolutionSeconds: level.fromSeconds, bucketStart: { lt: horizon } },
    orderBy: [{ bucketStart: "asc" }, { id: "asc" }],
    take: maxSourceRows,
  });
  if (sources.length === 0) return result;

  const merged = new Map<string, MergedBucket>();
  const keyOf = (versionId: string, startMs: number) => `${versionId}@${startMs}`;
  const mergeInto = (row: (typeof sources)[number]) => {
    const startMs = alignDown(row.bucketStart.getTime(), level.toSeconds);
    const key = keyOf(row.versionId, startMs);
    let bucket = merged.get(key);
    if (!bucket) {
      bucket = {
        modelId: row.modelId,
        versionId: row.versionId,
        version: row.version,
        startMs,
        totals: new BucketTotals(),
      };
      merged.set(key, bucket);
    }
    bucket.totals.add(countsOf(row));
  };
  sources.forEach(mergeInto);

  // Late data, or a batch cut short by maxSourceRows: add to the coarse row already there.
  let firstStart = Infinity;
  let lastStart = -Infinity;
  for (const { startMs } of merged.values()) {
    firstStart = Math.min(firstStart, startMs);
    lastStart = Math.max(lastStart, startMs);
  }
  const existing = (
    await tx.endpointMetricBucket.findMany({
      where: {
        resolutionSeconds: level.toSeconds,
        replicaId: MERGED_REPLICA_ID,
        versionId: { in: [...new Set(sources.map((row) => row.versionId))] },
        bucketStart: { gte: new Date(firstStart), lte: new Date(lastStart) },
      },
    })
  ).filter((row) => merged.has(keyOf(row.versionId, row.bucketStart.getTime())));
  existing.forEach(mergeInto);

  // Delete by id, not by the filter above: a replica may insert a late row meanwhile; it stays for the next run.
  const ids = [...sources, ...existing].map((row) => row.id);
  await tx.$executeRaw`DELETE FROM endpoint_metric_bucket WHERE id = ANY(${ids}::bigint[])`;
  const records = [...merged.values()].map((bucket): BucketRecord => ({
    modelId: bucket.modelId,
    versionId: bucket.versionId,
    version: bucket.version,
    replicaId: MERGED_REPLICA_ID,
    resolutionSeconds: level.toSeconds,
    bucketStart: new Date(bucket.startMs),
    ...bucket.totals.toCounts(),
  }));
  // A plain insert: under the lock a conflict means a bug, and it must roll everything back.
  await insertRecords(tx, records);
  return { ...result, sourceRows: ids.length, mergedRows: records.length };
}

/**
 * Merges old 10-second rows into minutes and old minutes into hours (across replicas), and
 * deletes hourly rows past retention, all in one transaction. Runs under a transaction-scoped
 * advisory lock; when another process holds it this returns at once with `ran: false`.
 */
export async function rollupBuckets(
  db: Db,
  now: Date = new Date(),
  options: { maxSourceRows?: number } = {},
): Promise<RollupResult> {
  const maxSourceRows = options.maxSourceRows ?? ROLLUP_MAX_SOURCE_ROWS;
  return db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtextextended(${ROLLUP_LOCK_NAME}::text, 0)) AS locked`;
      if (!lock?.locked) return { ran: false, levels: [], expiredRows: 0 };
      const levels: RollupLevelResult[] = [];
      // In order: minutes made now may already be old enough to become hours.
      for (const level of ROLLUP_LEVELS) levels.push(await rollupLevel(tx, level, now.getTime(), maxSourceRows));
      const { count: expiredRows } = await tx.endpointMetricBucket.deleteMany({
        where: {
          resolutionSeconds: HOUR_SECONDS,
          bucketStart: { lt: new Date(now.getTime() - HOURLY_RETENTION_SECONDS * 1000) },
        },
      });
      return { ran: true, levels, expiredRows };
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
}

/** Request count, rate, error rate and latency percentiles of some merged buckets. */
function requestStats(totals: BucketTotals, seconds: number) {
  const { requests, errors, latency } = totals;
  return {
    requests,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    errorRate: requests > 0 ? errors / requests : 0,
    p50Ms: latency.quantile(0.5),
    p95Ms: latency.quantile(0.95),
    p99Ms: latency.quantile(0.99),
  };
}

export interface SeriesQuery {
  modelId: string;
  from: Date;
  to: Date;
  stepSeconds: number;
  versionId?: string;
}

export interface SeriesResult {
  /** One per step from `from` aligned down to the step, up to `to`; steps without data are zero. */
  points: SeriesPoint[];
  /** Rows per run → runs, over the whole range, sorted by rows. */
  batchSizes: Array<{ rows: number; runs: number }>;
  versions: Array<{ versionId: string; version: number; requests: number }>;
}

/** Keeps one response to a size a chart can draw. */
export const MAX_SERIES_POINTS = 10_000;

/**
 * The statistics of a model's endpoint per step over [from, to), merged across replicas and
 * resolutions: rows of every resolution up to the step are read, so a range crossing the rollup
 * horizon mixes 10-second and minute rows seamlessly (resolutions divide the preset steps).
 */
export async function queryEndpointSeries(db: Db, query: SeriesQuery): Promise<SeriesResult> {
  const { stepSeconds } = query;
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0) throw new RangeError(`bad step: ${stepSeconds} s`);
  const stepMs = stepSeconds * 1000;
  const firstMs = alignDown(query.from.getTime(), stepSeconds);
  const endMs = query.to.getTime();
  if ((endMs - firstMs) / stepMs > MAX_SERIES_POINTS) throw new RangeError("the range has too many steps");

  const rows = await db.endpointMetricBucket.findMany({
    where: {
      modelId: query.modelId,
      ...(query.versionId ? { versionId: query.versionId } : {}),
      resolutionSeconds: { lte: stepSeconds },
      bucketStart: { gte: new Date(firstMs), lt: query.to },
    },
    select: { ...COUNT_FIELDS, versionId: true, version: true, bucketStart: true },
  });

  const steps = new Map<number, BucketTotals>();
  const batchSizes: Record<string, number> = {};
  const versions = new Map<string, { versionId: string; version: number; requests: number }>();
  for (const row of rows) {
    const counts = countsOf(row);
    const stepStart = alignDown(row.bucketStart.getTime(), stepSeconds);
    let totals = steps.get(stepStart);
    if (!totals) steps.set(stepStart, (totals = new BucketTotals()));
    totals.add(counts);
    addCounts(batchSizes, counts.batchSizes);
    const version = versions.get(row.versionId) ?? { versionId: row.versionId, version: row.version, requests: 0 };
    version.requests += row.requests;
    versions.set(row.versionId, version);
  }

  const empty = new BucketTotals();
  const points: SeriesPoint[] = [];
  for (let startMs = firstMs; startMs < endMs; startMs += stepMs) {
    const totals = steps.get(startMs) ?? empty;
    const { requests, errors, queueMsSum, computeMsSum } = totals;
    points.push({
      start: new Date(startMs).toISOString(),
      // The last step may still be running: its rate is over the part that has passed.
      ...requestStats(totals, (Math.min(startMs + stepMs, endMs) - startMs) / 1000),
      errors,
      meanQueueMs: requests > 0 ? queueMsSum / requests : null,
      meanComputeMs: requests > 0 ? computeMsSum / requests : null,
    });
  }
  return {
    points,
    batchSizes: Object.entries(batchSizes)
      .map(([rows, runs]) => ({ rows: Number(rows), runs }))
      .sort((a, b) => a.rows - b.rows),
    versions: [...versions.values()].sort((a, b) => a.version - b.version),
  };
}

export const RANGE_PRESETS = {
  "15m": { seconds: 15 * 60, stepSeconds: 10 },
  "1h": { seconds: HOUR_SECONDS, stepSeconds: 60 },
  "24h": { seconds: DAY_SECONDS, stepSeconds: 600 },
} as const satisfies Record<EndpointRange, { seconds: number; stepSeconds: number }>;

/**
 * The query window of a preset ending now: `seconds / stepSeconds` steps, the last one being the
 * step now is in, so the chart ends at the present and every point starts on a step boundary.
 */
export function presetWindow(preset: EndpointRange, now: Date = new Date()) {
  const { seconds, stepSeconds } = RANGE_PRESETS[preset];
  const endOfCurrentStep = alignDown(now.getTime(), stepSeconds) + stepSeconds * 1000;
  return { from: new Date(endOfCurrentStep - seconds * 1000), to: now, stepSeconds };
}

export interface EndpointSummary {
  requests: number;
  requestsPerSecond: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Over all time, not only the window. */
  lastRequestAt: Date | null;
}

/**
 * Recent statistics of many endpoints in two queries, for list pages. The window ends at the
 * start of the current raw bucket, which no replica has written yet, so the rate is not diluted
 * by an interval that cannot have data.
 */
export async function endpointSummaries(
  db: Db,
  modelIds: string[],
  options: { windowSeconds?: number; now?: Date } = {},
): Promise<Map<string, EndpointSummary>> {
  const windowSeconds = options.windowSeconds ?? 300;
  const windowEnd = alignDown((options.now ?? new Date()).getTime(), RAW_RESOLUTION_SECONDS);
  const summaries = new Map<string, EndpointSummary>();
  if (modelIds.length === 0) return summaries;
  const [rows, latest] = await Promise.all([
    db.endpointMetricBucket.findMany({
      where: {
        modelId: { in: modelIds },
        bucketStart: { gte: new Date(windowEnd - windowSeconds * 1000), lt: new Date(windowEnd) },
      },
      select: { ...COUNT_FIELDS, modelId: true },
    }),
    db.endpointMetricBucket.groupBy({
      by: ["modelId"],
      where: { modelId: { in: modelIds } },
      _max: { lastRequestAt: true },
    }),
  ]);
  const totalsByModel = new Map(modelIds.map((id) => [id, new BucketTotals()]));
  for (const row of rows) totalsByModel.get(row.modelId)?.add(countsOf(row));
  const lastRequestAt = new Map(latest.map((group) => [group.modelId, group._max.lastRequestAt]));
  for (const [modelId, totals] of totalsByModel) {
    summaries.set(modelId, {
      ...requestStats(totals, windowSeconds),
      lastRequestAt: lastRequestAt.get(modelId) ?? null,
    });
  }
  return summaries;
}
