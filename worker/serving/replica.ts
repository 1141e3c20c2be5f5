/**
 * One serving replica: the model host, its HTTP server, and the background loops that connect it to
 * the rest of the platform (desired deployments in, replica state and request metrics out). Every
 * loop tolerates Postgres and Redis being away; requests never wait on them.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { artifactStore } from "@/lib/artifacts";
import type { Db } from "@/lib/db";
import type { Logger } from "@/lib/log";
import { loadDesiredDeployments, recordLoadFailure } from "@/lib/serving/deployments";
import { writeBuckets } from "@/lib/serving/metric-store";
import { MetricsRecorder } from "@/lib/serving/metrics-recorder";
import { writePredictionLogs } from "@/lib/serving/prediction-store";
import { subscribeDeploymentChanges } from "@/lib/serving/notify";
import { ModelHost } from "./model-host";
import { PredictionLogger } from "./prediction-logger";
import { ServingMetrics } from "./prometheus";
import { createServingServer } from "./server";

export interface ReplicaOptions {
  database: Db;
  log: Logger;
  host: string;
  port: number;
  /** The URL this replica reports for itself; defaults to http://<hostname>:<port>. */
  publicUrl?: string;
  replicaId?: string;
  intraOpThreads: number;
  maxBodyBytes: number;
  /** MAX_REQUEST_TENSOR_BYTES: versions whose single-row request needs more are refused at load. */
  maxRequestTensorBytes?: number;
  /** SERVING_SESSION_HEAP_MB: each session thread's heap. */
  sessionHeapMb?: number;
  sessionIsolation?: "auto" | "process";
  /** The first delay before a version that failed for a passing reason is tried again. */
  retryFailedAfterMs?: number;
  syncIntervalMs: number;
  metricsFlushMs: number;
  /** How often logged predictions are written; feedback can refer to them from then on. */
  predictionsFlushMs: number;
  heartbeatMs?: number;
}

export interface RunningReplica {
  id: string;
  /** Where this replica listens (the actual port when 0 was asked for). */
  url: string;
  host: ModelHost;
  metrics: ServingMetrics;
  recorder: MetricsRecorder;
  predictions: PredictionLogger;
  /** Reads the desired deployments now (tests use it instead of waiting for a notification). */
  sync(): Promise<void>;
  /** Stops taking requests, lets running ones finish, flushes metrics and releases every session. */
  close(): Promise<void>;
}

const packageVersion = (): string => {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
};

export async function startReplica(options: ReplicaOptions): Promise<RunningReplica> {
  const { database, log } = options;
  const id = options.replicaId ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const metrics = new ServingMetrics();
  let heartbeatSoon: NodeJS.Timeout | undefined;
  const host = new ModelHost({
    artifactPath: (sha256) => artifactStore().localPath(sha256),
    intraOpThreads: options.intraOpThreads,
    maxRequestTensorBytes: options.maxRequestTensorBytes,
    maxBodyBytes: options.maxBodyBytes,
    sessionHeapMb: options.sessionHeapMb,
    sessionIsolation: options.sessionIsolation,
    retryFailedAfterMs: options.retryFailedAfterMs,
    log,
    // Remembered in the database, so neither this replica after a restart nor any other loads it again.
    onLoadRefused: (wanted, message) => {
      recordLoadFailure({ ...wanted, message, replicaId: id }, database).catch((error: unknown) =>
        log.warn({ err: error, versionId: wanted.versionId }, "could not record why a version was refused"),
      );
    },
    onBatch: (hosted, rows) => {
      metrics.forVersion(hosted).batch(rows);
      recorder.recordBatch({ modelId: hosted.modelId, versionId: hosted.versionId, version: hosted.version, rows });
    },
    // State changes reach the dashboard quickly, coalesced when several happen together.
    onStateChange: () => {
      heartbeatSoon ??= setTimeout(() => {
        heartbeatSoon = undefined;
        void heartbeat();
      }, 100);
    },
  });
  const recorder = new MetricsRecorder({
    replicaId: id,
    write: async (records) => {
      await writeBuckets(database, records);
    },
    onError: (error) =>
      log.warn({ err: error, pending: recorder.pendingBuckets }, "could not write request metrics; will retry"),
  });
  const predictions = new PredictionLogger({
    write: async (rows) => {
      await writePredictionLogs(database, rows);
    },
    onError: (error) =>
      log.warn({ err: error, pending: predictions.pendingRows }, "could not write logged predictions; will retry"),
  });
  metrics.observe({
    states: () => host.states(),
    queueDepths: () => host.queueDepths(),
    droppedBuckets: () => recorder.droppedBuckets,
    droppedPredictions: () => predictions.droppedRows,
  });

  const server = createServingServer({
    host,
    metrics,
    recorder,
    predictions,
    log,
    maxBodyBytes: options.maxBodyBytes,
    serverVersion: packageVersion(),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const listenHost = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${listenHost}:${port}`;
  const startedAt = new Date();
  const publicUrl = options.publicUrl ?? `http://${os.hostname()}:${port}`;

  async function heartbeat(): Promise<void> {
    const models = host.states();
    const row = { url: publicUrl, hostname: os.hostname(), pid: process.pid, heartbeatAt: new Date(), models };
    try {
      await database.servingReplica.upsert({ where: { id }, create: { id, startedAt, ...row }, update: row });
    } catch (error) {
      log.debug({ err: error }, "could not report replica state");
    }
  }

  let syncing: Promise<void> | null = null;
  let syncAgain = false;
  /** Single-flight: a change announced during a sync triggers one more sync afterwards. */
  function sync(): Promise<void> {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        syncAgain = false;
        try {
          host.apply(await loadDesiredDeployments(database));
        } catch (error) {
          log.warn({ err: error }, "could not read desired deployments; serving what is loaded");
        }
      } while (syncAgain);
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  const subscription = subscribeDeploymentChanges(() => void sync());
  await sync();
  const syncTimer = setInterval(() => void sync(), options.syncIntervalMs).unref();
  const heartbeatTimer = setInterval(() => void heartbeat(), options.heartbeatMs ?? 5000).unref();
  recorder.start(options.metricsFlushMs);
  predictions.start(options.predictionsFlushMs);
  await heartbeat();
  log.info({ url, publicUrl, replicaId: id }, "serving replica listening");

  return {
    id,
    url,
    host,
    metrics,
    recorder,
    predictions,
    sync,
    async close() {
      clearInterval(syncTimer);
      clearInterval(heartbeatTimer);
      clearTimeout(heartbeatSoon);
      subscription.close();
      server.close();
      server.closeIdleConnections();
      await host.close();
      server.closeAllConnections();
      await Promise.all([recorder.stop(), predictions.stop()]);
      await database.servingReplica.delete({ where: { id } }).catch(() => undefined);
    },
  };
}
