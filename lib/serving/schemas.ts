import { z } from "zod";
import { pgIntSchema, textSchema, versionNumberFromText } from "@/lib/api/fields";

/**
 * Live endpoints' public shapes: what the dashboard API accepts and returns, and what serving
 * replicas report about themselves. The API, the dashboard and the replicas all use these.
 */

export const deploymentSettingsSchema = z.object({
  maxBatchSize: z.number().int().min(1).max(4096),
  maxQueueDelayMs: z.number().min(0).max(1000),
  maxQueueSize: z.number().int().min(1).max(100_000),
  requestTimeoutMs: z.number().int().min(100).max(600_000),
  /** Share of requests whose predictions are logged for online feedback; 0 turns logging off. */
  predictionSampleRate: z.number().min(0).max(1),
});
export type DeploymentSettings = z.infer<typeof deploymentSettingsSchema>;

export const DEFAULT_DEPLOYMENT_SETTINGS: DeploymentSettings = {
  maxBatchSize: 32,
  maxQueueDelayMs: 0,
  maxQueueSize: 1024,
  requestTimeoutMs: 30_000,
  predictionSampleRate: 1,
};

export const updateDeploymentSchema = deploymentSettingsSchema.partial().strict();
export type UpdateDeploymentInput = z.infer<typeof updateDeploymentSchema>;

/** Labels a request can target instead of a version number (TF Serving's `/labels/{label}`). */
export const SERVING_LABELS = ["production", "staging"] as const;
export type ServingLabel = (typeof SERVING_LABELS)[number];

export const REPLICA_MODEL_STATES = ["LOADING", "READY", "FAILED"] as const;
export const replicaModelSchema = z.object({
  modelName: z.string(),
  version: z.number().int(),
  versionId: z.string(),
  /** Labels this replica routes to the version right now (empty while loading or when failed). */
  labels: z.array(z.enum(SERVING_LABELS)),
  state: z.enum(REPLICA_MODEL_STATES),
  message: z.string().nullable(),
  since: z.string(),
});
export type ReplicaModel = z.infer<typeof replicaModelSchema>;
export const replicaModelsSchema = z.array(replicaModelSchema);

export const replicaDtoSchema = z.object({
  id: z.string(),
  url: z.string(),
  hostname: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  /** Heard from within REPLICA_LIVE_SECONDS. */
  live: z.boolean(),
  models: z.array(replicaModelSchema),
});
export type ReplicaDto = z.infer<typeof replicaDtoSchema>;

/** Replicas heartbeat every few seconds; one silent for longer than this is shown as gone. */
export const REPLICA_LIVE_SECONDS = 20;

export const ENDPOINT_STATUSES = ["NOT_DEPLOYED", "LOADING", "READY", "FAILED", "UNAVAILABLE"] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

export const endpointStatsSchema = z.object({
  requests: z.number(),
  requestsPerSecond: z.number(),
  errorRate: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  lastRequestAt: z.string().nullable(),
});
export type EndpointStats = z.infer<typeof endpointStatsSchema>;

const servedVersionSchema = z.object({
  version: z.number().int(),
  versionId: z.string(),
  label: z.enum(SERVING_LABELS),
  /** Across live replicas: READY if any serves it, else LOADING if any is loading it, else FAILED. */
  state: z.enum(["LOADING", "READY", "FAILED", "UNAVAILABLE"]),
  message: z.string().nullable(),
});
export type ServedVersion = z.infer<typeof servedVersionSchema>;

export const endpointUrlsSchema = z.object({
  base: z.string(),
  kserveInfer: z.string(),
  kserveMetadata: z.string(),
  kserveReady: z.string(),
  tfPredict: z.string(),
  tfStatus: z.string(),
  tfMetadata: z.string(),
});
export type EndpointUrls = z.infer<typeof endpointUrlsSchema>;

export const endpointDtoSchema = z.object({
  modelName: z.string(),
  modelId: z.string(),
  /** A deployment exists and is switched on. */
  deployed: z.boolean(),
  settings: deploymentSettingsSchema.nullable(),
  status: z.enum(ENDPOINT_STATUSES),
  statusMessage: z.string().nullable(),
  /** The versions the endpoint should serve (Production, Staging) and how the replicas are doing. */
  versions: z.array(servedVersionSchema),
  urls: endpointUrlsSchema,
  /** Last 5 minutes (lastRequestAt: ever). */
  stats: endpointStatsSchema,
  replicas: z.array(replicaDtoSchema),
  updatedAt: z.string().nullable(),
});
export type EndpointDto = z.infer<typeof endpointDtoSchema>;

export const endpointRangeSchema = z.enum(["15m", "1h", "24h"]);
export type EndpointRange = z.infer<typeof endpointRangeSchema>;

export const endpointSeriesQuerySchema = z.object({
  range: endpointRangeSchema.default("15m"),
  version: versionNumberFromText().optional(),
});

export const seriesPointSchema = z.object({
  start: z.string(),
  requests: z.number(),
  errors: z.number(),
  requestsPerSecond: z.number(),
  errorRate: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  meanQueueMs: z.number().nullable(),
  meanComputeMs: z.number().nullable(),
});
export type SeriesPoint = z.infer<typeof seriesPointSchema>;

export const endpointSeriesSchema = z.object({
  range: endpointRangeSchema,
  stepSeconds: z.number(),
  points: z.array(seriesPointSchema),
  batchSizes: z.array(z.object({ rows: z.number(), runs: z.number() })),
  versions: z.array(z.object({ versionId: z.string(), version: z.number(), requests: z.number() })),
});
export type EndpointSeries = z.infer<typeof endpointSeriesSchema>;

const LABEL_RANGE = `the label must be a finite number from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`;

/** Ground truth for one logged prediction: the request id the endpoint returned, and the row within it. */
export const feedbackItemSchema = z
  .object({
    requestId: textSchema("the request id", { min: 1, max: 200, trim: false }),
    /** Row within the request, for requests that carried several rows. */
    row: pgIntSchema("row").default(0),
    /** The true class index (classifiers) or value (regressors). */
    label: z
      .number({ error: "the label must be a finite number" })
      .min(-Number.MAX_SAFE_INTEGER, LABEL_RANGE)
      .max(Number.MAX_SAFE_INTEGER, LABEL_RANGE),
  })
  .strict();
export type FeedbackItem = z.infer<typeof feedbackItemSchema>;

export const MAX_FEEDBACK_ITEMS = 10_000;

const feedbackBatchSchema = z.object({ items: z.array(feedbackItemSchema).min(1).max(MAX_FEEDBACK_ITEMS) }).strict();

/** One item, or a batch of them applied all together (the API's documented shape). */
export const feedbackSchema = z.union([feedbackItemSchema, feedbackBatchSchema]);

/**
 * The items of a feedback body. The shape is chosen by the `items` key first, so a mistake is
 * reported against that shape rather than as a bare "invalid input" of the union.
 */
export function parseFeedback(body: unknown): FeedbackItem[] {
  if (typeof body === "object" && body !== null && "items" in body) return feedbackBatchSchema.parse(body).items;
  return [feedbackItemSchema.parse(body)];
}

export const feedbackResultSchema = z.object({ labelled: z.number() });
export type FeedbackResult = z.infer<typeof feedbackResultSchema>;

/** Online accuracy per hour (over the last 48 hours) or per day (over the last 30 days), in UTC. */
export const ONLINE_ACCURACY_WINDOWS = {
  hour: { stepSeconds: 3600, points: 48 },
  day: { stepSeconds: 86_400, points: 30 },
} as const;
export const onlineAccuracyBucketSchema = z.enum(["hour", "day"]);
export type OnlineAccuracyBucket = z.infer<typeof onlineAccuracyBucketSchema>;

export const onlineAccuracyQuerySchema = z.object({
  bucket: onlineAccuracyBucketSchema.default("hour"),
  version: versionNumberFromText().optional(),
});

export const onlineAccuracyPointSchema = z.object({
  start: z.string(),
  version: z.number(),
  /** Predictions logged in this period. */
  predictions: z.number(),
  /** Of which ground truth has arrived for. */
  labelled: z.number(),
  /** Share of labelled predictions that were right (classifiers); null without labels. */
  accuracy: z.number().nullable(),
  /** Mean absolute error over labelled predictions (regressors); null without labels. */
  meanAbsoluteError: z.number().nullable(),
});
export type OnlineAccuracyPoint = z.infer<typeof onlineAccuracyPointSchema>;

export const onlineAccuracySeriesSchema = z.object({
  bucket: onlineAccuracyBucketSchema,
  from: z.string(),
  to: z.string(),
  stepSeconds: z.number(),
  /** Periods with logged predictions only, oldest first; one point per version per period. */
  points: z.array(onlineAccuracyPointSchema),
  versions: z.array(
    z.object({
      version: z.number(),
      /** How predictions are scored: accuracy for classifiers, mean absolute error for regressors. */
      kind: z.enum(["class", "value"]),
      predictions: z.number(),
      labelled: z.number(),
      accuracy: z.number().nullable(),
      meanAbsoluteError: z.number().nullable(),
    }),
  ),
});
export type OnlineAccuracySeries = z.infer<typeof onlineAccuracySeriesSchema>;
