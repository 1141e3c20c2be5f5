import { z } from "zod";
import { pgIntFromText, pgIntSchema, textSchema } from "@/lib/api/fields";

/**
 * The registry's public shapes: request bodies the API accepts and the JSON it returns.
 * The API, the dashboard and the tests all use these, so they cannot drift apart.
 */

export const STAGES = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"] as const;
export const VERSION_STATUSES = ["PENDING", "READY", "FAILED"] as const;
export const MODEL_FORMATS = ["ONNX", "KERAS_H5", "TFJS", "PMML", "UNKNOWN"] as const;
export const JOB_KINDS = ["VALIDATE", "CONVERT", "COMPRESS", "EVALUATE"] as const;
export const JOB_STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;

export const stageSchema = z.enum(STAGES);
export type StageName = z.infer<typeof stageSchema>;

export const MODEL_NAME_MAX = 100;

/** Names that appear in URLs (models, datasets): letters, digits, '.', '_' and '-'. */
export const urlNameSchema = (noun: string, max = MODEL_NAME_MAX) =>
  textSchema(`the ${noun} name`, { min: 1, max }).regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    `the ${noun} name may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit`,
  );

export const modelNameSchema = urlNameSchema("model");

const tagSchema = textSchema("the tag", { min: 1, max: 50 });
export const tagsSchema = z.array(tagSchema).max(20, "at most 20 tags").default([]);
export const descriptionSchema = textSchema("the description", { max: 5000, trim: false });

export const createModelSchema = z.object({
  name: modelNameSchema,
  description: descriptionSchema.default(""),
  tags: tagsSchema,
});
export type CreateModelInput = z.infer<typeof createModelSchema>;

export const updateModelSchema = z
  .object({ description: descriptionSchema, tags: z.array(tagSchema).max(20, "at most 20 tags") })
  .partial()
  .strict();
export type UpdateModelInput = z.infer<typeof updateModelSchema>;

export const updateVersionSchema = updateModelSchema;
export type UpdateVersionInput = UpdateModelInput;

export const paginationSchema = z.object({
  page: pgIntFromText("page", 1).default(1),
  pageSize: pgIntFromText("pageSize", 1).max(200, "pageSize must be at most 200").default(25),
});
export type Pagination = z.infer<typeof paginationSchema>;

export const listModelsQuerySchema = paginationSchema.extend({
  q: textSchema("the search text", { max: 200 }).optional(),
  tag: textSchema("the tag", { max: 50 }).optional(),
});
export type ListModelsQuery = z.infer<typeof listModelsQuerySchema>;

const commentSchema = textSchema("the comment", { max: 1000, trim: false });

export const transitionSchema = z.object({
  stage: stageSchema,
  comment: commentSchema.default(""),
});
export type TransitionInput = z.infer<typeof transitionSchema>;

export const rollbackSchema = z.object({ comment: commentSchema.default("") });

// zod's number() already refuses NaN and the infinities.
const finiteNumber = z.number({ error: "the value must be a finite number (not a string, NaN or Infinity)" });

export const metricKeySchema = textSchema("the metric key", { min: 1, max: 250 }).regex(
  /^[A-Za-z0-9_./ -]+$/,
  "metric keys may contain letters, digits, spaces and . _ / -",
);

export const metricInputSchema = z.object({
  key: metricKeySchema,
  value: finiteNumber,
  step: pgIntSchema("step").default(0),
  timestamp: z.iso.datetime({ offset: true }).optional(),
});
/** One metric `{ key, value, ... }` or a batch `{ metrics: [...] }`; both become a list. */
export const logMetricsSchema = z.preprocess(
  (body) => (body && typeof body === "object" && "metrics" in body ? body.metrics : [body]),
  z.array(metricInputSchema).min(1, "metrics: send at least one metric").max(1000, "metrics: at most 1000 per request"),
);
export type MetricInput = z.infer<typeof metricInputSchema>;

// ---- responses ----

export const tensorSpecSchema = z.object({
  name: z.string(),
  dtype: z.string(),
  shape: z.array(z.union([z.number(), z.string()])),
});
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

export const signatureSchema = z.object({ inputs: z.array(tensorSpecSchema), outputs: z.array(tensorSpecSchema) });
export type Signature = z.infer<typeof signatureSchema>;

export const metricSchema = z.object({ key: z.string(), value: z.number(), step: z.number(), timestamp: z.string() });
export type MetricDto = z.infer<typeof metricSchema>;

export const transitionDtoSchema = z.object({
  id: z.string(),
  fromStage: stageSchema,
  toStage: stageSchema,
  actor: z.string(),
  comment: z.string(),
  createdAt: z.string(),
});
export type TransitionDto = z.infer<typeof transitionDtoSchema>;

export const versionSummarySchema = z.object({
  id: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  format: z.enum(MODEL_FORMATS),
  status: z.enum(VERSION_STATUSES),
  statusMessage: z.string().nullable(),
  stage: stageSchema,
  sizeBytes: z.number(),
  sha256: z.string(),
  originalFilename: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  /** Latest value of each metric key. */
  metrics: z.record(z.string(), z.number()),
});
export type VersionSummary = z.infer<typeof versionSummarySchema>;

export const versionRefSchema = z.object({ id: z.string(), modelName: z.string(), version: z.number().int() });

export const versionDetailSchema = versionSummarySchema.extend({
  signature: signatureSchema.nullable(),
  opset: z.number().nullable(),
  producer: z.string().nullable(),
  parameterCount: z.number().nullable(),
  source: z.enum(["UPLOAD", "CONVERT", "COMPRESS"]),
  sourceDetail: z.record(z.string(), z.unknown()).nullable(),
  parent: versionRefSchema.nullable(),
  children: z.array(versionRefSchema),
  metricHistory: z.array(metricSchema),
  transitions: z.array(transitionDtoSchema),
  updatedAt: z.string(),
});
export type VersionDetail = z.infer<typeof versionDetailSchema>;

export const modelSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  versionCount: z.number().int(),
  latestVersion: z.number().int().nullable(),
  productionVersion: z.number().int().nullable(),
  stagingVersion: z.number().int().nullable(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  });
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

export const jobDtoSchema = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  progress: z.number(),
  target: versionRefSchema.nullable(),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobDto = z.infer<typeof jobDtoSchema>;

export const listJobsQuerySchema = paginationSchema.extend({
  state: z.enum(JOB_STATES).optional(),
  kind: z.enum(JOB_KINDS).optional(),
  modelName: modelNameSchema.optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuerySchema>;

export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
