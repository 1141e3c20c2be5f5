import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { ReplicaModel } from "@/lib/serving/schemas";
import { PREDICTION_DROP_REASONS, type PredictionDropReason } from "./prediction-logger";

export type Protocol = "v2" | "tf";

/** Where the gauges read their values at scrape time. */
export interface GaugeSources {
  states(): ReplicaModel[];
  queueDepths(): { modelName: string; version: number; depth: number }[];
  droppedBuckets(): number;
  droppedPredictions(): Readonly<Record<PredictionDropReason, number>>;
}

/** Latency buckets in seconds: sub-millisecond resolution for small models, up to long compute. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
const REQUEST_LABELS = ["model", "version", "protocol", "code"] as const;

type Labels<T extends string> = Record<T, string>;
type RequestLabel = (typeof REQUEST_LABELS)[number];

const seriesKey = <T extends string>(names: readonly T[], labels: Labels<T>) =>
  names.map((name) => labels[name]).join("\u0000");

/** One histogram series: counts per bucket (the last one is +Inf), their sum and count. */
class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

const escapeLabelValue = (value: string) => value.replace(/[\\"\n]/g, (char) => (char === "\n" ? "\\n" : `\\${char}`));

/**
 * A histogram counted in plain arrays and written in Prometheus' text format next to the registry's
 * metrics: prom-client's own histograms hash the label values on every observe(), which cost more
 * than the rest of a small model's request bookkeeping.
 */
class CountedHistogram<T extends string> {
  private readonly table = new Map<string, { labels: string; series: HistogramSeries }>();

  constructor(private readonly spec: { name: string; help: string; labelNames: readonly T[]; buckets: number[] }) {}

  series(labels: Labels<T>): HistogramSeries {
    const key = seriesKey(this.spec.labelNames, labels);
    let entry = this.table.get(key);
    if (!entry) {
      const text = this.spec.labelNames.map((name) => `${name}="${escapeLabelValue(labels[name])}"`).join(",");
      entry = { labels: text, series: new HistogramSeries(this.spec.buckets) };
      this.table.set(key, entry);
    }
    return entry.series;
  }

  text(): string {
    const { name, help, buckets } = this.spec;
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    for (const { labels, series } of this.table.values()) {
      // Like prom-client's, a series shows once something was observed in it.
      if (series.count === 0) continue;
      let cumulative = 0;
      [...buckets, "+Inf"].forEach((le, index) => {
        cumulative += series.counts[index]!;
        lines.push(`${name}_bucket{${labels},le="${le}"} ${cumulative}`);
      });
      lines.push(`${name}_sum{${labels}} ${series.sum}`, `${name}_count{${labels}} ${series.count}`);
    }
    return lines.join("\n");
  }
}

/** A counter series that adds up locally and hands its total to prom-client when scraped. */
class CounterSeries {
  pending = 0;
  constructor(readonly child: { inc(value: number): void }) {}
}

/** The series one request updates, by protocol and HTTP status. */
interface RequestSeries {
  requests: CounterSeries;
  errors: CounterSeries | null;
}

/** What VersionMetrics records into; ServingMetrics.forVersion finds it once per version. */
interface VersionSeries {
  latency: Record<Protocol, HistogramSeries>;
  queue: HistogramSeries;
  compute: HistogramSeries;
  batchSize: HistogramSeries;
  requestSeries(protocol: Protocol, status: number): RequestSeries;
}

/**
 * Every series of one served version, so that recording a request is a few additions: no label
 * hashing, no allocation.
 */
export class VersionMetrics {
  private readonly byStatus = { v2: new Map<number, RequestSeries>(), tf: new Map<number, RequestSeries>() };

  constructor(private readonly series: VersionSeries) {}

  request(protocol: Protocol, status: number, seconds: number): void {
    const byStatus = this.byStatus[protocol];
    let counters = byStatus.get(status);
    if (!counters) {
      counters = this.series.requestSeries(protocol, status);
      byStatus.set(status, counters);
    }
    counters.requests.pending += 1;
    if (counters.errors) counters.errors.pending += 1;
    this.series.latency[protocol].observe(seconds);
  }

  timings(queueSeconds: number, computeSeconds: number): void {
    this.series.queue.observe(queueSeconds);
    this.series.compute.observe(computeSeconds);
  }

  batch(rows: number): void {
    this.series.batchSize.observe(rows);
  }
}

/**
 * The replica's Prometheus metrics, on a registry of its own (several replicas can share a process
 * in tests). Request, latency and batch series are kept per version in VersionMetrics.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, CounterSeries>();
  /** Counters collect what their series added since the last scrape. */
  private readonly addPending = () => {
    for (const series of this.counters.values()) {
      if (series.pending === 0) continue;
      series.child.inc(series.pending);
      series.pending = 0;
    }
  };
  private readonly requests = new Counter({
    name: "modelyard_serving_requests_total",
    help: "Inference requests answered, by model, version, protocol and HTTP status.",
    labelNames: REQUEST_LABELS,
    registers: [this.registry],
    collect: this.addPending,
  });
  private readonly errors = new Counter({
    name: "modelyard_serving_request_errors_total",
    help: "Inference requests answered with a non-2xx status.",
    labelNames: REQUEST_LABELS,
    registers: [this.registry],
    collect: this.addPending,
  });
  private readonly histograms = {
    latency: new CountedHistogram({
      name: "modelyard_serving_request_duration_seconds",
      help: "Time from receiving a request to sending its response.",
      labelNames: ["model", "version", "protocol"] as const,
      buckets: LATENCY_BUCKETS,
    }),
    queueTime: new CountedHistogram({
      name: "modelyard_serving_queue_duration_seconds",
      help: "Time a request waited for its batch to start.",
      labelNames: ["model", "version"] as const,
      buckets: LATENCY_BUCKETS,
    }),
    computeTime: new CountedHistogram({
      name: "modelyard_serving_compute_duration_seconds",
      help: "Time of the session.run a request was part of.",
      labelNames: ["model", "version"] as const,
      buckets: LATENCY_BUCKETS,
    }),
    batchSize: new CountedHistogram({
      name: "modelyard_serving_batch_size",
      help: "Rows per session.run.",
      labelNames: ["model", "version"] as const,
      buckets: BATCH_BUCKETS,
    }),
  };
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
  /** Keyed by the hosted version object, which lives as long as it is served. */
  private readonly versions = new WeakMap<object, VersionMetrics>();

  private readonly droppedPredictionRows: Counter<"reason"> = new Counter({
    name: "modelyard_serving_prediction_logs_dropped_total",
    help:
      "Logged predictions dropped, by reason: refused (the database refused the row), or the buffer " +
      "overflowed while the database was unreachable, while writes failed otherwise (write_failed), or while writes lagged (backlog).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
    collect: (): void => {
      // The logger keeps the totals; each scrape reports them as they stand.
      const dropped = this.sources?.droppedPredictions();
      this.droppedPredictionRows.reset();
      for (const reason of PREDICTION_DROP_REASONS)
        this.droppedPredictionRows.labels(reason).inc(dropped?.[reason] ?? 0);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "modelyard_serving_" });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in Prometheus' text format. */
  async text(): Promise<string> {
    const histograms = Object.values(this.histograms).map((histogram) => histogram.text());
    return `${await this.registry.metrics()}\n${histograms.join("\n\n")}\n`;
  }

  observe(sources: GaugeSources) {
    this.sources = sources;
  }

  /** The series of a served version; cached per `hosted` object, so call it as often as needed. */
  forVersion(hosted: { modelName: string; version: number }): VersionMetrics {
    let metrics = this.versions.get(hosted);
    if (!metrics) {
      const model = hosted.modelName;
      const version = String(hosted.version);
      const { latency, queueTime, computeTime, batchSize } = this.histograms;
      metrics = new VersionMetrics({
        latency: {
          v2: latency.series({ model, version, protocol: "v2" }),
          tf: latency.series({ model, version, protocol: "tf" }),
        },
        queue: queueTime.series({ model, version }),
        compute: computeTime.series({ model, version }),
        batchSize: batchSize.series({ model, version }),
        requestSeries: (protocol, status) => ({
          requests: this.counterSeries(this.requests, [model, version, protocol, String(status)]),
          errors: status >= 300 ? this.counterSeries(this.errors, [model, version, protocol, String(status)]) : null,
        }),
      });
      this.versions.set(hosted, metrics);
    }
    return metrics;
  }

  /** Shared by every VersionMetrics of the same labels (a version reloaded keeps counting on). */
  private counterSeries(metric: Counter<RequestLabel>, values: [string, string, string, string]): CounterSeries {
    const key = `${metric === this.errors ? "errors" : "requests"}\u0000${values.join("\u0000")}`;
    let series = this.counters.get(key);
    if (!series) {
      series = new CounterSeries(metric.labels(...values));
      this.counters.set(key, series);
    }
    return series;
  }
}
