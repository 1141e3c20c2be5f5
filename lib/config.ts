import os from "node:os";
import { z } from "zod";
import { DEFAULT_MAX_COLUMNS } from "@/lib/datasets/table";

/**
 * The environment, parsed and checked once per process. Defaults describe the embedded setup
 * that `npm run up` brings up; `.env.example` lists every variable.
 */
const byteSize = z.coerce.number().int().positive();

const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  /** Key prefix for every queue, so several installations (or test runs) can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/)
    .default("modelyard"),
  DATA_DIR: z.string().default("./.data"),
  /** Where artifacts live; defaults to DATA_DIR/artifacts. */
  ARTIFACT_DIR: z.string().optional(),
  MAX_UPLOAD_BYTES: byteSize.default(2 * 1024 ** 3),
  /** Largest dataset upload (CSV or JSON Lines); it is profiled as it streams, never held in memory. */
  MAX_DATASET_BYTES: byteSize.default(1024 ** 3),
  /** Most columns a dataset may have (JSON Lines arrays count one per element); refused when the header is read. */
  MAX_DATASET_COLUMNS: z.coerce.number().int().positive().default(DEFAULT_MAX_COLUMNS),
  /** Validation loads untrusted models in a child process with these limits. */
  VALIDATE_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  VALIDATE_MAX_HEAP_MB: z.coerce.number().int().positive().default(4096),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /**
   * How long a worker holds a job without renewing its lock; a killed worker's jobs are picked up by
   * another after about this long.
   */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Rows per evaluation chunk: the unit of progress, checkpoints and cancellation. */
  EVALUATE_CHUNK_ROWS: z.coerce.number().int().positive().default(8192),
  /** Serving replicas: where they listen, and the URL clients use to reach them (or their load balancer). */
  SERVING_HOST: z.string().min(1).default("0.0.0.0"),
  SERVING_PORT: z.coerce.number().int().min(0).max(65535).default(8501),
  SERVING_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * onnxruntime intra-op threads per hosted version; 0 lets onnxruntime pick (one per core). The
   * default leaves one core to the HTTP thread (bench/README.md has the measurements).
   */
  SERVING_INTRA_OP_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .default(Math.max(1, os.availableParallelism() - 1)),
  SERVING_MAX_BODY_BYTES: byteSize.default(32 * 1024 ** 2),
  /** How often replicas re-read desired deployments, in case a change notification was missed. */
  SERVING_SYNC_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
  SERVING_METRICS_FLUSH_MS: z.coerce.number().int().positive().default(5_000),
  SERVING_PREDICTIONS_FLUSH_MS: z.coerce.number().int().positive().default(1_000),
  PREDICTION_LOG_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** Name recorded as the actor of changes until accounts exist. */
  DEFAULT_ACTOR: z.string().min(1).default("local"),
});

export type AppConfig = z.infer<typeof configSchema> & { artifactDir: string; servingPublicUrl: string };

let cached: AppConfig | undefined;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}\nSee .env.example.`);
  }
  const data = parsed.data;
  return {
    ...data,
    artifactDir: data.ARTIFACT_DIR ?? `${data.DATA_DIR.replace(/\/$/, "")}/artifacts`,
    servingPublicUrl: (data.SERVING_PUBLIC_URL ?? `http://localhost:${data.SERVING_PORT}`).replace(/\/$/, ""),
  };
}

/** The process-wide configuration, parsed on first use. */
export function config(): AppConfig {
  cached ??= loadConfig();
  return cached;
}
