/**
 * The prediction log: what endpoints predicted (written by serving replicas in the background), the
 * ground truth users send for it later, and the online accuracy computed from the two.
 */
import { db as defaultDb, type Db, type Tx } from "@/lib/db";
import { classifyDatabaseError } from "@/lib/db/errors";
import { AppError, notFound } from "@/lib/errors";
import { signatureSchema } from "@/lib/registry/schemas";
import { versionNotFound } from "@/lib/registry/versions";
import { labelProblem, predictionPlan, type PredictionPlan } from "./predictions";
import {
  ONLINE_ACCURACY_WINDOWS,
  type FeedbackItem,
  type FeedbackResult,
  type OnlineAccuracyBucket,
  type OnlineAccuracySeries,
} from "./schemas";

export interface PredictionLogRow {
  requestId: string;
  modelId: string;
  versionId: string;
  version: number;
  row: number;
  predicted: number;
  confidence: number | null;
  createdAt: Date;
}

/**
 * One INSERT per batch, whatever its size. The rows travel as one compact JSON parameter, grouped by
 * version: binding thousands of values costs the replica several times more CPU than one string, and
 * the client's cost grows with the string's length (measured: 146 → about 60 bytes a row). A request
 * id seen before for the model (clients may reuse V2 ids) keeps its first prediction.
 */
export async function writePredictionLogs(database: Db, rows: PredictionLogRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const groups = new Map<string, { m: string; v: string; n: number; rows: unknown[][] }>();
  for (const row of rows) {
    let group = groups.get(row.versionId);
    if (!group) {
      group = { m: row.modelId, v: row.versionId, n: row.version, rows: [] };
      groups.set(row.versionId, group);
    }
    group.rows.push([row.requestId, row.row, row.predicted, row.confidence, row.createdAt.getTime()]);
  }
  const payload = JSON.stringify([...groups.values()]);
  return database.$executeRaw`
    INSERT INTO prediction_log (model_id, version_id, version, request_id, "row", predicted, confidence, created_at)
    SELECT grouped.m, grouped.v, grouped.n, logged->>0, (logged->>1)::int, (logged->>2)::float8,
           (logged->>3)::float8, to_timestamp((logged->>4)::float8 / 1000)
    FROM json_to_recordset(${payload}::json) AS grouped(m uuid, v uuid, n int, rows json),
         json_array_elements(grouped.rows) AS logged
    ON CONFLICT DO NOTHING`;
}

/**
 * What a failed write says about its rows (see classifyDatabaseError): refused rows are dropped,
 * anything else is retried, a busy database like an unreachable one.
 */
export type WriteFailure = "refused" | "unreachable" | "failed";

export function classifyWriteFailure(error: unknown): WriteFailure {
  const failure = classifyDatabaseError(error);
  return failure === "busy" ? "unreachable" : failure;
}

async function modelIdOf(database: Db, modelName: string): Promise<string> {
  const model = await database.registeredModel.findUnique({ where: { name: modelName }, select: { id: true } });
  if (!model) throw notFound(`model '${modelName}'`);
  return model.id;
}

async function plansOf(database: Db | Tx, versionIds: string[]): Promise<Map<string, PredictionPlan | null>> {
  const versions = await database.modelVersion.findMany({
    where: { id: { in: versionIds } },
    select: { id: true, signature: true },
  });
  return new Map(
    versions.map((version) => {
      const signature = signatureSchema.safeParse(version.signature);
      return [version.id, signature.success ? predictionPlan(signature.data) : null];
    }),
  );
}

const feedbackKey = (item: { requestId: string; row: number }) => `${item.requestId}\u0000${item.row}`;
const describeItem = (item: { requestId: string; row: number }) =>
  item.row === 0 ? `'${item.requestId}'` : `'${item.requestId}' row ${item.row}`;

function listSome(items: string[], limit = 5): string {
  return items.length <= limit
    ? items.join(", ")
    : `${items.slice(0, limit).join(", ")} and ${items.length - limit} more`;
}

/**
 * Labels logged predictions, all or nothing: an unknown request id, a repeated item or a label that
 * is not a class of the version that answered leaves every prediction as it was. Sending a label
 * again replaces it.
 */
export async function recordFeedback(
  modelName: string,
  items: FeedbackItem[],
  database: Db = defaultDb(),
): Promise<FeedbackResult> {
  const modelId = await modelIdOf(database, modelName);
  const seen = new Set<string>();
  for (const item of items) {
    if (!Number.isFinite(item.label))
      throw new AppError("bad_request", `the label for ${describeItem(item)} is not a finite number`);
    const key = feedbackKey(item);
    if (seen.has(key)) throw new AppError("bad_request", `feedback for ${describeItem(item)} is given twice`);
    seen.add(key);
  }
  return database.$transaction(async (tx) => {
    const updated = await tx.$queryRaw<{ request_id: string; row: number; version_id: string; label: number }[]>`
      UPDATE prediction_log AS logged SET label = given.label, labelled_at = now()
      FROM unnest(
        ${items.map((item) => item.requestId)}::text[],
        ${items.map((item) => item.row)}::int[],
        ${items.map((item) => item.label)}::float8[]
      ) AS given(request_id, "row", label)
      WHERE logged.model_id = ${modelId}::uuid AND logged.request_id = given.request_id AND logged."row" = given."row"
      RETURNING logged.request_id, logged."row", logged.version_id, logged.label`;
    if (updated.length < items.length) {
      const found = new Set(updated.map((row) => feedbackKey({ requestId: row.request_id, row: row.row })));
      const unknown = items.filter((item) => !found.has(feedbackKey(item))).map(describeItem);
      throw new AppError(
        "not_found",
        `no logged prediction of model '${modelName}' for request id ${listSome(unknown)}; predictions are logged ` +
          "when an endpoint answers (at its prediction sampling rate) and stored within a few seconds. Nothing was recorded.",
        { unknownRequestIds: unknown.length },
      );
    }
    const plans = await plansOf(tx, [...new Set(updated.map((row) => row.version_id))]);
    for (const row of updated) {
      const plan = plans.get(row.version_id);
      const problem = plan ? labelProblem(plan, row.label) : null;
      if (problem) {
        throw new AppError(
          "bad_request",
          `the label for ${describeItem({ requestId: row.request_id, row: row.row })}: ${problem}. Nothing was recorded.`,
        );
      }
    }
    return { labelled: updated.length };
  });
}

interface SeriesRow {
  start: Date;
  version: number;
  version_id: string;
  predictions: bigint;
  labelled: bigint;
  correct: bigint;
  absolute_error: number | null;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/**
 * Predictions and their ground truth per hour or per day (UTC), per version: accuracy for classifiers,
 * mean absolute error for regressors, and how many labelled predictions each point stands on.
 */
export async function onlineAccuracySeries(
  modelName: string,
  query: { bucket: OnlineAccuracyBucket; version?: number },
  database: Db = defaultDb(),
  now = new Date(),
): Promise<OnlineAccuracySeries> {
  const modelId = await modelIdOf(database, modelName);
  if (query.version !== undefined) {
    const exists = await database.modelVersion.count({ where: { modelId, version: query.version } });
    if (!exists) throw versionNotFound(modelName, query.version);
  }
  const { stepSeconds, points } = ONLINE_ACCURACY_WINDOWS[query.bucket];
  const stepMs = stepSeconds * 1000;
  const to = new Date(Math.floor(now.getTime() / stepMs) * stepMs + stepMs);
  const from = new Date(to.getTime() - points * stepMs);
  const rows = await database.$queryRaw<SeriesRow[]>`
    SELECT to_timestamp(floor(extract(epoch FROM created_at) / ${stepSeconds}) * ${stepSeconds}) AS start,
           version, version_id,
           count(*) AS predictions,
           count(label) AS labelled,
           count(*) FILTER (WHERE label IS NOT NULL AND predicted = label) AS correct,
           sum(abs(predicted - label)) AS absolute_error
    FROM prediction_log
    WHERE model_id = ${modelId}::uuid AND created_at >= ${from} AND created_at < ${to}
      AND (${query.version ?? null}::int IS NULL OR version = ${query.version ?? null}::int)
    GROUP BY 1, 2, 3
    ORDER BY 1, 2`;
  const plans = await plansOf(database, [...new Set(rows.map((row) => row.version_id))]);
  const kindOf = (versionId: string) => plans.get(versionId)?.kind ?? "class";
  const totals = new Map<
    number,
    { kind: "class" | "value"; predictions: number; labelled: number; correct: number; error: number }
  >();
  const seriesPoints = rows.map((row) => {
    const kind = kindOf(row.version_id);
    const predictions = Number(row.predictions);
    const labelled = Number(row.labelled);
    const correct = Number(row.correct);
    const error = row.absolute_error ?? 0;
    const total = totals.get(row.version) ?? { kind, predictions: 0, labelled: 0, correct: 0, error: 0 };
    total.predictions += predictions;
    total.labelled += labelled;
    total.correct += correct;
    total.error += error;
    totals.set(row.version, total);
    return {
      start: row.start.toISOString(),
      version: row.version,
      predictions,
      labelled,
      accuracy: kind === "class" ? ratio(correct, labelled) : null,
      meanAbsoluteError: kind === "value" ? ratio(error, labelled) : null,
    };
  });
  return {
    bucket: query.bucket,
    from: from.toISOString(),
    to: to.toISOString(),
    stepSeconds,
    points: seriesPoints,
    versions: [...totals]
      .sort(([a], [b]) => a - b)
      .map(([version, total]) => ({
        version,
        kind: total.kind,
        predictions: total.predictions,
        labelled: total.labelled,
        accuracy: total.kind === "class" ? ratio(total.correct, total.labelled) : null,
        meanAbsoluteError: total.kind === "value" ? ratio(total.error, total.labelled) : null,
      })),
  };
}

/** Deletes logged predictions older than the retention, a bounded batch at a time. */
export async function prunePredictionLogs(
  database: Db,
  retentionDays: number,
  now = new Date(),
  batchRows = 50_000,
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  let deleted = 0;
  for (;;) {
    const count = await database.$executeRaw`
      DELETE FROM prediction_log WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM prediction_log WHERE created_at < ${before} LIMIT ${batchRows}))`;
    deleted += count;
    if (count < batchRows) return deleted;
  }
}
