/**
 * The versions this replica hosts and the routing table that points labels at them. Changes are
 * availability-preserving: a new version is loaded and warmed before its label moves, requests
 * already queued on the old version finish there, and only then is the old session released. A
 * version that fails to load leaves the label where it was.
 *
 * Every version gets a session thread. A version measured there to be cheap (a full batch well under
 * a millisecond) also gets an inline session on the HTTP thread, which then runs its batches: for such
 * a model the hand-off to the thread and back costs more than the model itself.
 */
import { access, stat } from "node:fs/promises";
import type { Logger } from "@/lib/log";
import type { Signature, TensorSpec } from "@/lib/registry/schemas";
import type { DesiredDeployment, DesiredVersion } from "@/lib/serving/deployments";
import type { DeploymentSettings, ReplicaModel, ServingLabel } from "@/lib/serving/schemas";
import { Batcher } from "./batcher";
import { InlineSession } from "./inline-session";
import { SessionThread } from "./session-client";
import { hasFixedShape, isElementType, sampleTensor, type HostTensor } from "./tensors";

export interface HostedVersion {
  modelId: string;
  modelName: string;
  versionId: string;
  version: number;
  signature: Signature;
  /** Inputs and outputs all have a dynamic first dimension, so requests can be stacked. */
  batchable: boolean;
  batcher: Batcher;
  /** Batches of up to this many rows run inline on the HTTP thread; 0: all run on the session thread. */
  inlineRows: number;
  settings: DeploymentSettings;
  loadedAt: Date;
}

interface Route {
  modelId: string;
  modelName: string;
  labels: Map<ServingLabel, HostedVersion>;
}

export type RouteTarget = { label: ServingLabel } | { version: number };

/** The model, label or version is not served here: 404 in both protocols. */
export class RouteError extends Error {
  override name = "RouteError";
}

export interface ModelHostOptions {
  artifactPath: (sha256: string) => string;
  intraOpThreads: number;
  log: Logger;
  onBatch?: (version: HostedVersion, rows: number, computeMs: number) => void;
  /** Called whenever what the replica reports about itself changes. */
  onStateChange?: () => void;
  /** A version that failed to load is tried again after this long (or when its deployment changes). */
  retryFailedAfterMs?: number;
  /** The longest a batch may hold the HTTP thread when run inline (0: never run inline). */
  inlineMaxRunMs?: number;
}

/** Long enough for tiny models' batches, short enough that other requests barely notice. */
export const INLINE_MAX_RUN_MS = 0.25;
/** The batch the inline budget is measured with: the default maxBatchSize. */
const CALIBRATION_ROWS = 32;
const CALIBRATION_RUNS = 10;
/** An inline session doubles the model's memory and loads on the HTTP thread: small files only. */
const INLINE_MAX_MODEL_BYTES = 4 * 1024 ** 2;

const isDynamic = (dim: number | string | undefined) => typeof dim === "string" || (typeof dim === "number" && dim < 0);

export function isBatchable(signature: Signature): boolean {
  return (
    signature.inputs.length > 0 &&
    [...signature.inputs, ...signature.outputs].every((spec) => spec.shape.length > 0 && isDynamic(spec.shape[0]))
  );
}

/** Zero-filled inputs for warm-up and timing runs, `rows` rows deep. */
const samples = (signature: Signature, rows: number): Record<string, HostTensor> =>
  Object.fromEntries(signature.inputs.map((spec) => [spec.name, sampleTensor(spec, rows)]));

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ModelHost {
  private desired: DesiredDeployment[] = [];
  private routes = new Map<string, Route>();
  private readonly hosted = new Map<string, HostedVersion>();
  private readonly loading = new Map<string, { since: Date }>();
  private readonly failed = new Map<string, { message: string; at: Date }>();
  private readonly sessions = new Map<HostedVersion, { thread: SessionThread; inline: InlineSession | null }>();
  private readonly retiring = new Set<Promise<void>>();
  private synced = false;
  private closed = false;

  constructor(private readonly options: ModelHostOptions) {}

  /** Takes the desired deployments (from the database) and moves towards them. */
  apply(desired: DesiredDeployment[]): void {
    if (this.closed) return;
    this.desired = desired;
    this.synced = true;
    this.reconcile();
  }

  /** The version a request goes to. Synchronous, so the batcher is reached in the same tick. */
  resolve(modelName: string, target: RouteTarget): HostedVersion {
    const route = this.routes.get(modelName);
    if (!route || route.labels.size === 0) throw new RouteError(`model '${modelName}' is not served here`);
    if ("label" in target) {
      const version = route.labels.get(target.label);
      if (!version) {
        throw new RouteError(
          `model '${modelName}' has no ${target.label} version deployed; deployed: ${this.describeDeployed(route)}`,
        );
      }
      return version;
    }
    for (const version of route.labels.values()) if (version.version === target.version) return version;
    throw new RouteError(
      `version ${target.version} of model '${modelName}' is not deployed; deployed: ${this.describeDeployed(route)}`,
    );
  }

  /** Versions a model answers for, with their labels (for metadata and status responses). */
  servedVersions(modelName: string): { version: HostedVersion; labels: ServingLabel[] }[] {
    const route = this.routes.get(modelName);
    if (!route) return [];
    const byVersion = new Map<HostedVersion, ServingLabel[]>();
    for (const [label, version] of route.labels) byVersion.set(version, [...(byVersion.get(version) ?? []), label]);
    return [...byVersion]
      .map(([version, labels]) => ({ version, labels }))
      .sort((a, b) => a.version.version - b.version.version);
  }

  /** Every desired version is loaded or has failed (the server-wide readiness probe). */
  isReady(): boolean {
    return this.synced && this.loading.size === 0;
  }

  states(): ReplicaModel[] {
    const states: ReplicaModel[] = [];
    const labelsOf = new Map<string, ServingLabel[]>();
    for (const route of this.routes.values()) {
      for (const [label, version] of route.labels) {
        labelsOf.set(version.versionId, [...(labelsOf.get(version.versionId) ?? []), label]);
      }
    }
    for (const deployment of this.desired) {
      for (const wanted of deployment.versions) {
        const base = { modelName: deployment.modelName, version: wanted.version, versionId: wanted.versionId };
        const hosted = this.hosted.get(wanted.versionId);
        const loading = this.loading.get(wanted.versionId);
        const failed = this.failed.get(wanted.versionId);
        if (hosted) {
          const labels = labelsOf.get(wanted.versionId) ?? [];
          states.push({ ...base, labels, state: "READY", message: null, since: hosted.loadedAt.toISOString() });
        } else if (loading) {
          states.push({ ...base, labels: [], state: "LOADING", message: null, since: loading.since.toISOString() });
        } else if (failed) {
          states.push({
            ...base,
            labels: [],
            state: "FAILED",
            message: failed.message,
            since: failed.at.toISOString(),
          });
        }
      }
    }
    // Versions still answering for a label while their replacement loads or after it failed.
    for (const [versionId, labels] of labelsOf) {
      if (states.some((state) => state.versionId === versionId)) continue;
      const hosted = this.hosted.get(versionId)!;
      states.push({
        modelName: hosted.modelName,
        version: hosted.version,
        versionId,
        labels,
        state: "READY",
        message: null,
        since: hosted.loadedAt.toISOString(),
      });
    }
    return states;
  }

  /** Queue depth per hosted version, for the Prometheus gauge. */
  queueDepths(): { modelName: string; version: number; depth: number }[] {
    return [...this.hosted.values()].map((hosted) => ({
      modelName: hosted.modelName,
      version: hosted.version,
      depth: hosted.batcher.depth,
    }));
  }

  /** Finishes queued work and releases every session. */
  async close(): Promise<void> {
    this.closed = true;
    this.routes = new Map();
    for (const hosted of [...this.hosted.values()]) this.retire(hosted);
    await Promise.all(this.retiring);
  }

  private describeDeployed(route: Route): string {
    return [...route.labels].map(([label, version]) => `version ${version.version} (${label})`).join(", ");
  }

  private reconcile(): void {
    if (this.closed) return;
    const routes = new Map<string, Route>();
    for (const deployment of this.desired) {
      const previous = this.routes.get(deployment.modelName);
      const route: Route = { modelId: deployment.modelId, modelName: deployment.modelName, labels: new Map() };
      for (const wanted of deployment.versions) {
        const hosted = this.hosted.get(wanted.versionId);
        if (hosted) {
          hosted.settings = deployment.settings;
          hosted.batcher.settings = deployment.settings;
          route.labels.set(wanted.label, hosted);
          continue;
        }
        if (!this.loading.has(wanted.versionId) && !this.recentlyFailed(wanted.versionId)) {
          void this.load(deployment, wanted);
        }
        // Until the new version is ready, the label keeps pointing at what served it before.
        const current = previous?.labels.get(wanted.label);
        if (current) route.labels.set(wanted.label, current);
      }
      routes.set(deployment.modelName, route);
    }
    this.routes = routes;
    const routed = new Set([...routes.values()].flatMap((route) => [...route.labels.values()]));
    for (const hosted of this.hosted.values()) if (!routed.has(hosted)) this.retire(hosted);
    this.options.onStateChange?.();
  }

  private recentlyFailed(versionId: string): boolean {
    const failure = this.failed.get(versionId);
    return !!failure && Date.now() - failure.at.getTime() < (this.options.retryFailedAfterMs ?? 60_000);
  }

  private async load(deployment: DesiredDeployment, wanted: DesiredVersion): Promise<void> {
    const log = this.options.log.child({ model: deployment.modelName, version: wanted.version });
    this.loading.set(wanted.versionId, { since: new Date() });
    this.options.onStateChange?.();
    const startedAt = performance.now();
    try {
      const hosted = await this.startVersion(deployment, wanted);
      if (this.closed) {
        this.retire(hosted);
        return;
      }
      this.hosted.set(wanted.versionId, hosted);
      this.failed.delete(wanted.versionId);
      log.info(
        { ms: Math.round(performance.now() - startedAt), batchable: hosted.batchable, inlineRows: hosted.inlineRows },
        "version loaded and warmed",
      );
    } catch (error) {
      this.failed.set(wanted.versionId, { message: errorMessage(error), at: new Date() });
      log.warn({ err: error }, "version failed to load; the previous version keeps serving");
    } finally {
      this.loading.delete(wanted.versionId);
      this.reconcile();
    }
  }

  private async startVersion(deployment: DesiredDeployment, wanted: DesiredVersion): Promise<HostedVersion> {
    const unsupported = [...wanted.signature.inputs, ...wanted.signature.outputs].find(
      (spec: TensorSpec) => !isElementType(spec.dtype),
    );
    if (unsupported) {
      throw new Error(`'${unsupported.name}' has type ${unsupported.dtype}, which the serving protocols cannot carry`);
    }
    const modelPath = this.options.artifactPath(wanted.artifactSha256);
    await access(modelPath).catch(() => {
      throw new Error(
        `the model file (sha256 ${wanted.artifactSha256.slice(0, 12)}…) is missing from the artifact store`,
      );
    });
    const thread = await SessionThread.start({ modelPath, intraOpThreads: this.options.intraOpThreads }).catch(
      (error: unknown) => {
        // onnxruntime names the file's path; the reason is what matters to the person reading it.
        const reason = errorMessage(error).replace(/^Load model from .* failed:\s*/s, "");
        throw new Error(`onnxruntime could not load the model: ${reason}`);
      },
    );
    try {
      await thread.run(samples(wanted.signature, 1));
    } catch (error) {
      await thread.close();
      throw new Error(`the warm-up inference on a zero-filled sample failed: ${errorMessage(error)}`);
    }
    const batchable = isBatchable(wanted.signature);
    const inline = await this.inlineSession(thread, wanted.signature, modelPath);
    const hosted: HostedVersion = {
      modelId: deployment.modelId,
      modelName: deployment.modelName,
      versionId: wanted.versionId,
      version: wanted.version,
      signature: wanted.signature,
      batchable,
      inlineRows: inline?.maxRows ?? 0,
      settings: deployment.settings,
      loadedAt: new Date(),
      batcher: new Batcher({
        batchable,
        settings: deployment.settings,
        run: (feeds, rows) => (inline && rows <= inline.maxRows ? inline.run(feeds) : thread.run(feeds)),
        // Only the session thread queues runs; an inline session gains nothing from a batch sent early.
        queuesRuns: !inline,
        onRun: (rows, computeMs) => this.options.onBatch?.(hosted, rows, computeMs),
      }),
    };
    this.sessions.set(hosted, { thread, inline });
    return hosted;
  }

  /**
   * An inline session for a version cheap enough to run on the HTTP thread, or null. Runs timed on
   * its session thread decide: one row, then (if that fits) a full batch, best of a few runs. They
   * only predict real requests when rows have a fixed shape. The file must be small, as the inline
   * session loads on the HTTP thread.
   */
  private async inlineSession(
    thread: SessionThread,
    signature: Signature,
    modelPath: string,
  ): Promise<InlineSession | null> {
    const budgetMs = this.options.inlineMaxRunMs ?? INLINE_MAX_RUN_MS;
    const batchable = isBatchable(signature);
    if (budgetMs <= 0 || !signature.inputs.every((spec) => hasFixedShape(spec, batchable ? 1 : 0))) return null;
    /** Best time of a few runs of `rows` rows; the first runs of a thread are slow (cold code). */
    const bestRunMs = async (rows: number, runs: number) => {
      let best = Infinity;
      // A run far over the budget says enough: a heavy model is not timed again and again.
      for (let run = 0; run < runs; run++) {
        best = Math.min(best, (await thread.timedRun(samples(signature, rows))).ms);
        if (best > 10 * budgetMs) break;
      }
      return best;
    };
    try {
      if ((await stat(modelPath)).size > INLINE_MAX_MODEL_BYTES) return null;
      if ((await bestRunMs(1, CALIBRATION_RUNS)) > budgetMs) return null;
      const rows = batchable ? CALIBRATION_ROWS : 1;
      const bestMs = await bestRunMs(rows, CALIBRATION_RUNS);
      if (bestMs > budgetMs) return null;
      const maxRows = batchable ? Math.floor((rows * budgetMs) / Math.max(bestMs, 0.001)) : 1;
      const loadStartedAt = performance.now();
      const inline = await InlineSession.load(modelPath, maxRows);
      // The first run allocates; better here than in a request.
      await inline.run(samples(signature, 1)).catch(async (error: unknown) => {
        await inline.release();
        throw error;
      });
      this.options.log.debug({ ms: performance.now() - loadStartedAt, bestMs, maxRows }, "inline session ready");
      return inline;
    } catch (error) {
      this.options.log.warn({ err: error }, "could not run the version inline; its session thread runs every batch");
      return null;
    }
  }

  private retire(hosted: HostedVersion): void {
    this.hosted.delete(hosted.versionId);
    const sessions = this.sessions.get(hosted);
    this.sessions.delete(hosted);
    const retiring = hosted.batcher
      .drain()
      .then(() => Promise.all([sessions?.thread.close(), sessions?.inline?.release()]))
      .then(() => this.options.log.info({ model: hosted.modelName, version: hosted.version }, "version released"))
      .finally(() => this.retiring.delete(retiring));
    this.retiring.add(retiring);
  }
}
