/**
 * The versions this replica hosts and the routing table that points labels at them. Changes are
 * availability-preserving: a new version is loaded and warmed before its label moves, requests
 * already queued on the old version finish there, and only then is the old session released. A
 * version that fails to load leaves the label where it was.
 *
 * Every version gets a session thread. A version measured there to be cheap (a full batch well under
 * a millisecond) also gets an inline session on the HTTP thread, which then runs its batches: for such
 * a model the hand-off to the thread and back costs more than the model itself.
 *
 * A model is untrusted: its signature's cost is checked before anything is allocated for it, its
 * session (a thread, or a child process for models with string tensors) has a bounded heap, and a
 * session that dies ends alone. A version that cannot be
 * loaded for a reason of its own (too large, refused by onnxruntime, out of memory while warming up)
 * is not tried again until its deployment changes; the failure is reported so it can be remembered
 * across restarts. A thread that dies while serving (a request may be what killed it) is reloaded
 * after a delay that doubles with each death.
 */
import { access, stat } from "node:fs/promises";
import type { Logger } from "@/lib/log";
import { requestTooLarge } from "@/lib/onnx/request-cost";
import type { Signature, TensorSpec } from "@/lib/registry/schemas";
import type { DesiredDeployment, DesiredVersion } from "@/lib/serving/deployments";
import type { DeploymentSettings, ReplicaModel, ServingLabel } from "@/lib/serving/schemas";
import { Batcher } from "./batcher";
import { InlineSession } from "./inline-session";
import { SessionThread, ThreadDiedWhileLoading, UnavailableError, type SessionIsolation } from "./session-client";
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
  /**
   * A version that failed for a passing reason (its file missing, its thread dead while serving) is
   * tried again after this long, doubled after each further failure up to RETRY_MAX_MS.
   */
  retryFailedAfterMs?: number;
  /** The most bytes the inputs (or outputs) of one single-row request may take (MAX_REQUEST_TENSOR_BYTES). */
  maxRequestTensorBytes?: number;
  /** The largest request body the server reads: a model whose smallest request is larger cannot be served. */
  maxBodyBytes?: number;
  /** Each session thread's heap, in MB (SERVING_SESSION_HEAP_MB). */
  sessionHeapMb?: number;
  /** SERVING_SESSION_ISOLATION: "process" runs every version in a child process. */
  sessionIsolation?: "auto" | "process";
  /** A version failed to load for a reason of its own: remember it (best effort) so no replica tries again. */
  onLoadRefused?: (wanted: DesiredVersion, message: string) => void;
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
export const DEFAULT_MAX_REQUEST_TENSOR_BYTES = 256 * 1024 ** 2;
export const DEFAULT_SESSION_HEAP_MB = 1024;
const RETRY_FIRST_MS = 1000;
const WARM_UP_FAILED = "the warm-up inference on a zero-filled sample failed";
const REFUSED_MESSAGE = "version refused: it is not loaded again until it is promoted or redeployed";
const RETRY_MAX_MS = 10 * 60_000;

/** A failure that is the model's own: loading it again (until its deployment changes) fails the same way. */
class LoadRefused extends Error {
  override name = "LoadRefused";
}

interface HostedSessions {
  thread: SessionThread;
  inline: InlineSession | null;
  /** A request has run (inline or on the thread): after that, one may be what killed the thread. */
  served: boolean;
}

interface Failure {
  message: string;
  at: Date;
  /** The model's own fault: not retried while the deployment stays as it was at `changedAt`. */
  refused: boolean;
  changedAt: Date;
  /** Failures in a row, for the delay before trying again. */
  count: number;
}

const isDynamic = (dim: number | string | undefined) => typeof dim === "string" || (typeof dim === "number" && dim < 0);

export function isBatchable(signature: Signature): boolean {
  return (
    signature.inputs.length > 0 &&
    [...signature.inputs, ...signature.outputs].every((spec) => spec.shape.length > 0 && isDynamic(spec.shape[0]))
  );
}

/** Zero-filled inputs for warm-up and timing runs, `rows` rows deep, each within `maxBytes`. */
const samples = (signature: Signature, rows: number, maxBytes: number): Record<string, HostTensor> =>
  Object.fromEntries(signature.inputs.map((spec) => [spec.name, sampleTensor(spec, rows, maxBytes)]));

const hasStrings = (signature: Signature) =>
  [...signature.inputs, ...signature.outputs].some((spec) => spec.dtype === "string");

/** Strings are made on the JavaScript heap inside onnxruntime's run, where only a process can run out alone. */
export const sessionIsolation = (signature: Signature): SessionIsolation =>
  hasStrings(signature) ? "process" : "thread";

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ModelHost {
  private desired: DesiredDeployment[] = [];
  private routes = new Map<string, Route>();
  private readonly hosted = new Map<string, HostedVersion>();
  private readonly loading = new Map<string, { since: Date }>();
  private readonly failed = new Map<string, Failure>();
  private retryTimer: { timer: NodeJS.Timeout; dueAt: number } | undefined;
  private readonly sessions = new Map<HostedVersion, HostedSessions>();
  private readonly retiring = new Set<Promise<void>>();
  private synced = false;
  private closed = false;

  private readonly maxRequestTensorBytes: number;
  private readonly sessionHeapMb: number;

  constructor(private readonly options: ModelHostOptions) {
    this.maxRequestTensorBytes = options.maxRequestTensorBytes ?? DEFAULT_MAX_REQUEST_TENSOR_BYTES;
    this.sessionHeapMb = options.sessionHeapMb ?? DEFAULT_SESSION_HEAP_MB;
  }

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
    if ("label" in target) {
      const version = route?.labels.get(target.label);
      if (version) return version;
    } else if (route) {
      for (const version of route.labels.values()) if (version.version === target.version) return version;
    }
    throw this.notServed(modelName, route, target);
  }

  /** Why nothing answers the target: the version deployed there failed here (503), or none is deployed (404). */
  private notServed(modelName: string, route: Route | undefined, target: RouteTarget): Error {
    const failure = this.failureOf(modelName, target);
    if (failure) return new UnavailableError(failure);
    if (!route || route.labels.size === 0) return new RouteError(`model '${modelName}' is not served here`);
    const deployed = this.describeDeployed(route);
    return "label" in target
      ? new RouteError(`model '${modelName}' has no ${target.label} version deployed; deployed: ${deployed}`)
      : new RouteError(`version ${target.version} of model '${modelName}' is not deployed; deployed: ${deployed}`);
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
    clearTimeout(this.retryTimer?.timer);
    this.routes = new Map();
    for (const hosted of [...this.hosted.values()]) this.retire(hosted);
    await Promise.all(this.retiring);
  }

  /** Why the version a request asks for (by label or number) is not served here, if it failed. */
  private failureOf(modelName: string, target: RouteTarget): string | undefined {
    const wanted = this.desired
      .find((deployment) => deployment.modelName === modelName)
      ?.versions.find((version) =>
        "label" in target ? version.label === target.label : version.version === target.version,
      );
    const failure = wanted && this.failed.get(wanted.versionId);
    return failure && `version ${wanted.version} of model '${modelName}' failed: ${failure.message}`;
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
        if (!this.loading.has(wanted.versionId) && this.mayLoad(wanted)) void this.load(deployment, wanted);
        // Until the new version is ready, the label keeps pointing at what served it before.
        const current = previous?.labels.get(wanted.label);
        if (current) route.labels.set(wanted.label, current);
      }
      routes.set(deployment.modelName, route);
    }
    this.routes = routes;
    // Failures of versions no longer wanted: forgotten (they come back with a change that retries them).
    const wantedIds = new Set(this.desired.flatMap((deployment) => deployment.versions.map((v) => v.versionId)));
    for (const versionId of this.failed.keys()) if (!wantedIds.has(versionId)) this.failed.delete(versionId);
    const routed = new Set([...routes.values()].flatMap((route) => [...route.labels.values()]));
    for (const hosted of this.hosted.values()) if (!routed.has(hosted)) this.retire(hosted);
    this.options.onStateChange?.();
  }

  /**
   * Whether to load a version now: not if it failed for a reason of its own since its deployment last
   * changed (here, or on a replica that recorded it), nor while a passing failure's delay runs.
   */
  private mayLoad(wanted: DesiredVersion): boolean {
    const recorded = wanted.loadFailure;
    if (recorded && !this.failed.get(wanted.versionId)?.refused) {
      const failure = { refused: true, changedAt: wanted.changedAt, count: 1 };
      this.failed.set(wanted.versionId, { ...failure, message: recorded.message, at: recorded.failedAt });
    }
    const failure = this.failed.get(wanted.versionId);
    if (!failure) return true;
    if (wanted.changedAt.getTime() > failure.changedAt.getTime()) {
      // Promoted or redeployed since: a fresh start.
      this.failed.delete(wanted.versionId);
      return true;
    }
    if (failure.refused) return false;
    const waitMs = this.retryDelayMs(failure) - (Date.now() - failure.at.getTime());
    if (waitMs <= 0) return true;
    this.retryLater(waitMs);
    return false;
  }

  private retryDelayMs(failure: Failure): number {
    const first = this.options.retryFailedAfterMs ?? RETRY_FIRST_MS;
    return Math.min(first * 2 ** (failure.count - 1), RETRY_MAX_MS);
  }

  /** Reconciles again once the earliest pending retry is due (a sync may come sooner). */
  private retryLater(waitMs: number): void {
    const dueAt = Date.now() + waitMs;
    if (this.closed || (this.retryTimer && this.retryTimer.dueAt <= dueAt)) return;
    clearTimeout(this.retryTimer?.timer);
    const timer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reconcile();
    }, waitMs).unref();
    this.retryTimer = { timer, dueAt };
  }

  private recordFailure(wanted: DesiredVersion, message: string, refused: boolean): void {
    const previous = this.failed.get(wanted.versionId);
    const sameChange = previous?.changedAt.getTime() === wanted.changedAt.getTime();
    const count = sameChange ? previous.count + 1 : 1;
    this.failed.set(wanted.versionId, { message, at: new Date(), refused, changedAt: wanted.changedAt, count });
    if (refused) this.options.onLoadRefused?.(wanted, message);
  }

  /**
   * A hosted version's session died: its requests have failed; it leaves the routes at once. Before
   * its first request, the model alone did it (its warm-up left it short of memory): refused. After,
   * a request may have: tried again later.
   */
  private sessionDied(wanted: DesiredVersion, reason: string): void {
    const hosted = this.hosted.get(wanted.versionId);
    if (!hosted || this.closed) return;
    const log = this.options.log.child({ model: hosted.modelName, version: hosted.version });
    if (this.sessions.get(hosted)?.served) {
      log.error({ reason }, "session died while serving; the version is loaded again after a delay");
      this.recordFailure(wanted, reason, false);
    } else {
      const message = `${WARM_UP_FAILED}: ${reason}`;
      log.warn({ reason: message }, REFUSED_MESSAGE);
      this.recordFailure(wanted, message, true);
    }
    for (const route of this.routes.values()) {
      for (const [label, version] of route.labels) if (version === hosted) route.labels.delete(label);
    }
    this.retire(hosted);
    this.reconcile();
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
      log.info(
        { ms: Math.round(performance.now() - startedAt), batchable: hosted.batchable, inlineRows: hosted.inlineRows },
        "version loaded and warmed",
      );
    } catch (error) {
      const refused = error instanceof LoadRefused;
      this.recordFailure(wanted, errorMessage(error), refused);
      log.warn(
        { err: error, retried: !refused },
        refused ? REFUSED_MESSAGE : "version failed to load; the previous version keeps serving",
      );
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
      throw new LoadRefused(
        `'${unsupported.name}' has type ${unsupported.dtype}, which the serving protocols cannot carry`,
      );
    }
    // Before anything is allocated for it: the version may predate the rule validation applies.
    const tooLarge = requestTooLarge(wanted.signature, {
      maxTensorBytes: this.maxRequestTensorBytes,
      maxBodyBytes: this.options.maxBodyBytes,
    });
    if (tooLarge) throw new LoadRefused(tooLarge);
    const modelPath = this.options.artifactPath(wanted.artifactSha256);
    await access(modelPath).catch(() => {
      throw new Error(
        `the model file (sha256 ${wanted.artifactSha256.slice(0, 12)}…) is missing from the artifact store`,
      );
    });
    const thread = await SessionThread.start(
      { modelPath, intraOpThreads: this.options.intraOpThreads },
      {
        heapMb: this.sessionHeapMb,
        isolation: this.options.sessionIsolation === "process" ? "process" : sessionIsolation(wanted.signature),
        onDeath: (reason) => this.sessionDied(wanted, reason),
      },
    ).catch((error: unknown) => {
      if (error instanceof ThreadDiedWhileLoading) throw new LoadRefused(`loading the model failed: ${error.message}`);
      // onnxruntime names the file's path; the reason is what matters to the person reading it.
      const reason = errorMessage(error).replace(/^Load model from .* failed:\s*/s, "");
      throw new LoadRefused(`onnxruntime could not load the model: ${reason}`);
    });
    try {
      await thread.timedRun(samples(wanted.signature, 1, this.maxRequestTensorBytes), { discardOutputs: true });
    } catch (error) {
      await thread.close();
      throw new LoadRefused(`${WARM_UP_FAILED}: ${errorMessage(error)}`);
    }
    const batchable = isBatchable(wanted.signature);
    const inline = await this.inlineSession(thread, wanted.signature, modelPath);
    const sessions: HostedSessions = { thread, inline, served: false };
    // The timing runs may be what exhausted the thread.
    if (thread.deathReason) {
      await inline?.release();
      throw new LoadRefused(`${WARM_UP_FAILED}: ${thread.deathReason}`);
    }
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
        run: (feeds, rows) => {
          sessions.served = true;
          return inline && rows <= inline.maxRows ? inline.run(feeds) : thread.run(feeds);
        },
        // Only the session thread queues runs; an inline session gains nothing from a batch sent early.
        queuesRuns: !inline,
        onRun: (rows, computeMs) => this.options.onBatch?.(hosted, rows, computeMs),
      }),
    };
    this.sessions.set(hosted, sessions);
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
    // Strings live on the JavaScript heap, as many as the model makes: only a thread's heap is bounded.
    if (hasStrings(signature)) return null;
    // Inline, a native crash would end the replica, which is what process isolation is chosen to prevent.
    if (this.options.sessionIsolation === "process") return null;
    /** Best time of a few runs of `rows` rows; the first runs of a thread are slow (cold code). */
    const bestRunMs = async (rows: number, runs: number) => {
      let best = Infinity;
      // A run far over the budget says enough: a heavy model is not timed again and again.
      for (let run = 0; run < runs; run++) {
        const sample = samples(signature, rows, this.maxRequestTensorBytes);
        best = Math.min(best, (await thread.timedRun(sample, { discardOutputs: true })).ms);
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
      await inline.run(samples(signature, 1, this.maxRequestTensorBytes)).catch(async (error: unknown) => {
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
