import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ReplicaModel } from "@/lib/serving/schemas";

export type Protocol = "v2" | "tf";

/** Where the gauges read their values at scrape time. */
export interface GaugeSources {
  states(): ReplicaModel[];
  queueDepths(): { modelName: string; version: number; depth: number }[];
  droppedBuckets(): number;
  droppedPredictions(): number;
}

/** Latency buckets in seconds: sub-millisecond resolution for small models, up to long compute. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/**
 * The replica's Prometheus metrics, on a registry of its own (several replicas can share a process
 * in tests). Label children are cached per version so recording costs a map lookup.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "modelyard_serving_requests_total",
    help: "Inference requests answered, by model, version, protocol and HTTP status.",
    labelNames: ["model", "version", "protocol", "code"] as const,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "modelyard_serving_request_errors_total",
    help: "Inference requests answered with a non-2xx status.",
    labelNames: ["model", "version", "protocol", "code"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "modelyard_serving_request_duration_seconds",
    help: "Time from receiving a request to sending its response.",
    labelNames: ["model", "version", "protocol"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueTime = new Histogram({
    name: "modelyard_serving_queue_duration_seconds",
    help: "Time a request waited for its batch to start.",
    labelNames: ["model", "version"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly computeTime = new Histogram({
    name: "modelyard_serving_compute_duration_seconds",
    help: "Time of the session.run a request was part of.",
    labelNames: ["model", "version"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: "modelyard_serving_batch_size",
    help: "Rows per session.run.",
    labelNames: ["model", "version"] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  private sources: GaugeSources | undefined;
  private readonly loadedModels = new Gauge({
    name: "modelyard_serving_loaded_models",
    help: "Versions this replica hosts, by state (LOADING, READY, FAILED).",
    labelNames: ["model", "version", "state"] as const,
    registers: [this.registry],
    collect: () => {
      this.loadedModels.reset();
      for (const state of this.sources?.states() ?? []) {
        this.loadedModels.labels(state.modelName, String(state.version), state.state).set(1);
      }
    },
  });
  private readonly queueDepth = new Gauge({
    name: "modelyard_serving_queue_depth",
    help: "Requests waiting for a session, per version.",
    labelNames: ["model", "version"] as const,
    registers: [this.registry],
    collect: () => {
      this.queueDepth.reset();
      for (const { modelName, version, depth } of this.sources?.queueDepths() ?? []) {
        this.queueDepth.labels(modelName, String(version)).set(depth);
      }
    },
  });
  private readonly droppedMetricBuckets: Gauge = new Gauge({
    name: "modelyard_serving_dropped_metric_buckets",
    help: "Dashboard metric buckets dropped because the database was unreachable for too long.",
    registers: [this.registry],
    collect: (): void => this.droppedMetricBuckets.set(this.sources?.droppedBuckets() ?? 0),
  });

  private readonly droppedPredictionRows: Gauge = new Gauge({
    name: "modelyard_serving_dropped_prediction_logs",
    help: "Logged predictions dropped because the database was unreachable for too long.",
    registers: [this.registry],
    collect: (): void => this.droppedPredictionRows.set(this.sources?.droppedPredictions() ?? 0),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "modelyard_serving_" });
  }

  observe(sources: GaugeSources) {
    this.sources = sources;
  }

  /** Label children per (model, version, protocol, status): one map lookup per request. */
  private readonly requestChildren = new Map<
    string,
    { requests: { inc(): void }; errors: { inc(): void } | null; latency: { observe(value: number): void } }
  >();
  private readonly timingChildren = new Map<
    string,
    { queue: { observe(value: number): void }; compute: { observe(value: number): void } }
  >();

  recordRequest(model: string, version: string, protocol: Protocol, status: number, seconds: number) {
    const key = `${model}\u0000${version}\u0000${protocol}\u0000${status}`;
    let children = this.requestChildren.get(key);
    if (!children) {
      const code = String(status);
      children = {
        requests: this.requests.labels(model, version, protocol, code),
        errors: status >= 300 ? this.errors.labels(model, version, protocol, code) : null,
        latency: this.latency.labels(model, version, protocol),
      };
      this.requestChildren.set(key, children);
    }
    children.requests.inc();
    children.errors?.inc();
    children.latency.observe(seconds);
  }

  recordTimings(model: string, version: string, queueSeconds: number, computeSeconds: number) {
    const key = `${model}\u0000${version}`;
    let children = this.timingChildren.get(key);
    if (!children) {
      children = { queue: this.queueTime.labels(model, version), compute: this.computeTime.labels(model, version) };
      this.timingChildren.set(key, children);
    }
    children.queue.observe(queueSeconds);
    children.compute.observe(computeSeconds);
  }

  recordBatch(model: string, version: string, rows: number) {
    this.batchSize.labels(model, version).observe(rows);
  }
}
