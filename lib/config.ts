import os from "node:os";
import { z } from "zod";
import { LOOPBACK_HOSTS, parseList } from "@/lib/http/origins";
import { DEFAULT_MAX_COLUMNS } from "@/lib/datasets/table";

/**
 * The environment, parsed and checked once per process. Defaults describe the embedded setup
 * that `npm run up` brings up; `.env.example` lists every variable.
 */
const byteSize = z.coerce.number().int().positive();

/**
 * The largest model file onnxruntime can read (its protobuf parser stops at 2 GiB − 1 byte): a larger
 * upload could be stored but never validated, so no setting may allow one.
 */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

/** Host names as ALLOWED_HOSTS lists them: names or addresses without a port, `.domain`, or `*`. */
const hostListSetting = z
  .string()
  .optional()
  .superRefine((value, context) => {
    for (const entry of parseList(value)) {
      if (entry === "*" || /^\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(entry) || /^\[[0-9a-f:.]+\]$/.test(entry)) continue;
      context.addIssue({
        code: "custom",
        message: `'${entry}' is not a host name: list names or addresses without scheme or port (example.com, .example.com for a domain and its subdomains, [::1], or * for any)`,
      });
    }
  });

/** Origins as ALLOWED_ORIGINS lists them: `scheme://host[:port]`, nothing after. */
const originListSetting = z
  .string()
  .optional()
  .superRefine((value, context) => {
    for (const entry of parseList(value)) {
      if (originOf(entry) === entry.replace(/\/$/, "")) continue;
      context.addIssue({
        code: "custom",
        message: `'${entry}' is not an origin: write scheme, host and port only (https://notebooks.example.com or http://127.0.0.1:8888)`,
      });
    }
  });

/** `scheme://host[:port]` of an http(s) URL, lower case and without a default port; undefined for anything else. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** "*" or an origin as browsers send it in the Origin header (no path, ASCII host). */
const isOriginEntry = (entry: string) => entry === "*" || originOf(entry) === entry;

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
  MAX_UPLOAD_BYTES: byteSize
    .max(MAX_MODEL_FILE_BYTES, {
      error: `at most ${MAX_MODEL_FILE_BYTES} (2 GiB − 1 byte): onnxruntime cannot read a larger model file, so a larger upload could never be validated`,
    })
    .default(MAX_MODEL_FILE_BYTES),
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
  /**
   * Serving replicas: where they listen (loopback until endpoints have keys; 0.0.0.0 opens them to
   * the network), and the URL clients use to reach them (or their load balancer).
   */
  SERVING_HOST: z.string().min(1).default("127.0.0.1"),
  SERVING_PORT: z.coerce.number().int().min(0).max(65535).default(8501),
  SERVING_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Host names replicas answer to, comma separated ("*": any); blank: loopback and SERVING_PUBLIC_URL's host. */
  SERVING_ALLOWED_HOSTS: hostListSetting,
  /** Browser origins that may call replicas (CORS), comma separated ("*": any); blank: none. */
  SERVING_CORS_ORIGINS: z
    .string()
    .default("")
    .refine((setting) => parseList(setting).every(isOriginEntry), {
      message: 'each entry must be an origin such as https://app.example.com (scheme, host, optional port) or "*"',
    }),
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
  /**
   * The web app's checks on who may call it. WEB_PUBLIC_URL is the address people use for the
   * dashboard (a DNS name or a proxy in front of it): its host is allowed and its origin may call the API.
   */
  WEB_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Host names the web app answers besides its loopback names and WEB_PUBLIC_URL's host (a DNS-rebinding guard). */
  ALLOWED_HOSTS: hostListSetting,
  /** Pages on other origins that may call the API to change things (cross-site requests are refused otherwise). */
  ALLOWED_ORIGINS: originListSetting,
  /**
   * Largest inputs (or outputs) one single-row request to a model may need: validation refuses
   * models over it, and serving never allocates more for a sample.
   */
  MAX_REQUEST_TENSOR_BYTES: byteSize.default(256 * 1024 ** 2),
  /** V8 heap of each version's session thread; a thread that exhausts it ends alone and its version fails. */
  SERVING_SESSION_HEAP_MB: z.coerce.number().int().min(16).default(1024),
  /**
   * "auto": versions with string tensors run in a child process, others in a thread; "process": every
   * version in a child process of its own (none inline on the HTTP thread), so even a native crash of
   * onnxruntime ends only that version, at the cost of a copy of each batch to and from the process.
   */
  SERVING_SESSION_ISOLATION: z.enum(["auto", "process"]).default("auto"),
  /** Name recorded as the actor of changes until accounts exist. */
  DEFAULT_ACTOR: z.string().min(1).default("local"),
});

export type AppConfig = z.infer<typeof configSchema> & {
  artifactDir: string;
  servingPublicUrl: string;
  /** Every host name the web app answers: loopback names, WEB_PUBLIC_URL's host and ALLOWED_HOSTS. */
  allowedHosts: string[];
  /** ALLOWED_ORIGINS as normalised origins, WEB_PUBLIC_URL's origin included. */
  allowedOrigins: string[];
  /** SERVING_ALLOWED_HOSTS, or loopback names and SERVING_PUBLIC_URL's host when it is blank. */
  servingAllowedHosts: string[];
  servingCorsOrigins: string[];
};

let cached: AppConfig | undefined;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}\nSee .env.example.`);
  }
  const data = parsed.data;
  const webPublicUrl = data.WEB_PUBLIC_URL === undefined ? undefined : new URL(data.WEB_PUBLIC_URL);
  const configuredHosts = parseList(data.ALLOWED_HOSTS);
  const configuredOrigins = parseList(data.ALLOWED_ORIGINS).flatMap((entry) => originOf(entry) ?? []);
  const servingPublicUrl = (data.SERVING_PUBLIC_URL ?? `http://localhost:${data.SERVING_PORT}`).replace(/\/$/, "");
  const servingAllowedHosts = parseList(data.SERVING_ALLOWED_HOSTS);
  return {
    ...data,
    artifactDir: data.ARTIFACT_DIR ?? `${data.DATA_DIR.replace(/\/$/, "")}/artifacts`,
    servingPublicUrl,
    // Loopback names stay allowed: the web app listens on loopback, and a rebinding attack never sends them.
    allowedHosts: [...LOOPBACK_HOSTS, ...(webPublicUrl ? [webPublicUrl.hostname] : []), ...configuredHosts],
    allowedOrigins: [...configuredOrigins, ...(webPublicUrl ? [webPublicUrl.origin] : [])],
    servingAllowedHosts:
      servingAllowedHosts.length > 0
        ? servingAllowedHosts
        : [...new Set([...LOOPBACK_HOSTS, new URL(servingPublicUrl).hostname.toLowerCase()])],
    servingCorsOrigins: parseList(data.SERVING_CORS_ORIGINS),
  };
}

/** The process-wide configuration, parsed on first use. */
export function config(): AppConfig {
  cached ??= loadConfig();
  return cached;
}

/** An upload limit and why it is what it is, for the 413 that refuses a larger file. */
export interface UploadLimit {
  maxBytes: number;
  reason: string;
}

export function modelUploadLimit(): UploadLimit {
  const maxBytes = config().MAX_UPLOAD_BYTES;
  return {
    maxBytes,
    reason:
      maxBytes === MAX_MODEL_FILE_BYTES ? "the largest model file onnxruntime can load" : "set by MAX_UPLOAD_BYTES",
  };
}

export function datasetUploadLimit(): UploadLimit {
  return { maxBytes: config().MAX_DATASET_BYTES, reason: "set by MAX_DATASET_BYTES" };
}
