import { config } from "@/lib/config";
import { db as defaultDb, type Db, type Prisma } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import { signatureSchema, type Pagination, type Signature } from "@/lib/registry/schemas";
import { endpointSummaries } from "./metric-store";
import { announceDeploymentChange } from "./notify";
import {
  REPLICA_LIVE_SECONDS,
  replicaModelsSchema,
  type DeploymentSettings,
  type EndpointDto,
  type EndpointStats,
  type EndpointStatus,
  type EndpointUrls,
  type ReplicaDto,
  type ServedVersion,
  type ServingLabel,
  type UpdateDeploymentInput,
} from "./schemas";

/** A version a replica should host, with everything it needs to load and check requests. */
export interface DesiredVersion {
  versionId: string;
  version: number;
  label: ServingLabel;
  artifactSha256: string;
  signature: Signature;
  /** The later of the version's and the deployment's last change: a promotion or a redeploy moves it. */
  changedAt: Date;
  /** Why serving could not load the version since that change, if a replica found it could not. */
  loadFailure: { message: string; failedAt: Date } | null;
}

export interface DesiredDeployment {
  modelId: string;
  modelName: string;
  settings: DeploymentSettings;
  versions: DesiredVersion[];
}

const LABEL_OF_STAGE = { PRODUCTION: "production", STAGING: "staging" } as const;
const servedStages = Object.keys(LABEL_OF_STAGE) as (keyof typeof LABEL_OF_STAGE)[];

const settingsOf = (row: DeploymentSettings): DeploymentSettings => ({
  maxBatchSize: row.maxBatchSize,
  maxQueueDelayMs: row.maxQueueDelayMs,
  maxQueueSize: row.maxQueueSize,
  requestTimeoutMs: row.requestTimeoutMs,
  predictionSampleRate: row.predictionSampleRate,
});

/** What every replica should host: the Ready Production and Staging versions of enabled deployments. */
export async function loadDesiredDeployments(database: Db = defaultDb()): Promise<DesiredDeployment[]> {
  const rows = await database.deployment.findMany({
    where: { enabled: true },
    include: {
      model: {
        select: {
          name: true,
          versions: {
            where: { stage: { in: servedStages }, status: "READY" },
            select: {
              id: true,
              version: true,
              stage: true,
              artifactSha256: true,
              signature: true,
              updatedAt: true,
              loadFailure: { select: { message: true, deploymentChangedAt: true, failedAt: true } },
            },
          },
        },
      },
    },
  });
  return rows.map((row) => ({
    modelId: row.modelId,
    modelName: row.model.name,
    settings: settingsOf(row),
    versions: row.model.versions.flatMap((version) => {
      const signature = signatureSchema.safeParse(version.signature);
      if (!signature.success) return [];
      const changedAt = new Date(Math.max(version.updatedAt.getTime(), row.updatedAt.getTime()));
      const failure = version.loadFailure;
      // Both times come from database rows, so replicas' clocks do not matter here.
      const stillFailed = failure && failure.deploymentChangedAt.getTime() >= changedAt.getTime();
      return [
        {
          versionId: version.id,
          version: version.version,
          label: LABEL_OF_STAGE[version.stage as keyof typeof LABEL_OF_STAGE],
          artifactSha256: version.artifactSha256,
          signature: signature.data,
          changedAt,
          loadFailure: stillFailed ? { message: failure.message, failedAt: failure.failedAt } : null,
        },
      ];
    }),
  }));
}

/**
 * Remembers that a version cannot be loaded since its last change, so no replica (a restarted one
 * included) tries again until it is promoted or redeployed. Running it twice keeps the latest.
 */
export async function recordLoadFailure(
  failure: { versionId: string; artifactSha256: string; message: string; changedAt: Date; replicaId: string },
  database: Db = defaultDb(),
): Promise<void> {
  const row = {
    artifactSha256: failure.artifactSha256,
    message: failure.message,
    deploymentChangedAt: failure.changedAt,
    failedAt: new Date(),
    replicaId: failure.replicaId,
  };
  await database.servingLoadFailure.upsert({
    where: { versionId: failure.versionId },
    create: { versionId: failure.versionId, ...row },
    update: row,
  });
}

/**
 * Promoting a model to Production for the first time gives it an endpoint; after an explicit
 * Undeploy the row exists with `enabled = false` and stays off.
 */
export async function ensureDeploymentOnPromotion(
  tx: Prisma.TransactionClient,
  modelId: string,
  actor: string,
): Promise<void> {
  await tx.deployment.upsert({ where: { modelId }, create: { modelId, createdBy: actor }, update: {} });
}

async function findModelId(database: Db, modelName: string): Promise<string> {
  const model = await database.registeredModel.findUnique({ where: { name: modelName }, select: { id: true } });
  if (!model) throw notFound(`model '${modelName}'`);
  return model.id;
}

export async function deployModel(
  modelName: string,
  settings: UpdateDeploymentInput,
  actor: string,
  database: Db = defaultDb(),
): Promise<EndpointDto> {
  const modelId = await findModelId(database, modelName);
  const servable = await database.modelVersion.count({
    where: { modelId, stage: { in: servedStages }, status: "READY" },
  });
  if (servable === 0) {
    throw new AppError(
      "conflict",
      `model '${modelName}' has no Ready version in Production or Staging; promote one first, then deploy`,
    );
  }
  await database.deployment.upsert({
    where: { modelId },
    create: { modelId, createdBy: actor, ...settings },
    update: { enabled: true, ...settings },
  });
  await announceDeploymentChange(modelName);
  return getEndpoint(modelName, database);
}

export async function undeployModel(modelName: string, database: Db = defaultDb()): Promise<EndpointDto> {
  const modelId = await findModelId(database, modelName);
  const { count } = await database.deployment.updateMany({
    where: { modelId, enabled: true },
    data: { enabled: false },
  });
  if (count === 0) throw new AppError("conflict", `model '${modelName}' is not deployed`);
  await announceDeploymentChange(modelName);
  return getEndpoint(modelName, database);
}

export async function updateDeploymentSettings(
  modelName: string,
  settings: UpdateDeploymentInput,
  database: Db = defaultDb(),
): Promise<EndpointDto> {
  const modelId = await findModelId(database, modelName);
  const { count } = await database.deployment.updateMany({ where: { modelId }, data: settings });
  if (count === 0) throw new AppError("conflict", `model '${modelName}' has no endpoint yet; deploy it first`);
  await announceDeploymentChange(modelName);
  return getEndpoint(modelName, database);
}

export function endpointUrls(modelName: string, base: string = config().servingPublicUrl): EndpointUrls {
  const name = encodeURIComponent(modelName);
  return {
    base,
    kserveInfer: `${base}/v2/models/${name}/infer`,
    kserveMetadata: `${base}/v2/models/${name}`,
    kserveReady: `${base}/v2/models/${name}/ready`,
    tfPredict: `${base}/v1/models/${name}:predict`,
    tfStatus: `${base}/v1/models/${name}`,
    tfMetadata: `${base}/v1/models/${name}/metadata`,
  };
}

type ReplicaRow = {
  id: string;
  url: string;
  hostname: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
  models: Prisma.JsonValue;
};

export function toReplicaDto(row: ReplicaRow, now: Date): ReplicaDto {
  const models = replicaModelsSchema.safeParse(row.models);
  return {
    id: row.id,
    url: row.url,
    hostname: row.hostname,
    pid: row.pid,
    startedAt: row.startedAt.toISOString(),
    heartbeatAt: row.heartbeatAt.toISOString(),
    live: now.getTime() - row.heartbeatAt.getTime() <= REPLICA_LIVE_SECONDS * 1000,
    models: models.success ? models.data : [],
  };
}

/** Replicas heard from in the last hour; older rows are pruned by the worker's maintenance. */
export async function listReplicas(database: Db = defaultDb(), now = new Date()): Promise<ReplicaDto[]> {
  const rows = await database.servingReplica.findMany({
    where: { heartbeatAt: { gte: new Date(now.getTime() - 3600_000) } },
    orderBy: { startedAt: "asc" },
  });
  return rows.map((row) => toReplicaDto(row, now));
}

type VersionRef = { versionId: string; version: number; label: ServingLabel };

/** How the replicas are doing with one desired version. */
export function servedVersionState(wanted: VersionRef, replicas: ReplicaDto[]): ServedVersion {
  const live = replicas.filter((replica) => replica.live);
  const reports = live.flatMap((replica) => replica.models.filter((model) => model.versionId === wanted.versionId));
  const base = { version: wanted.version, versionId: wanted.versionId, label: wanted.label };
  if (live.length === 0) return { ...base, state: "UNAVAILABLE", message: "no serving replica is running" };
  const ready = reports.filter((report) => report.state === "READY").length;
  const failed = reports.filter((report) => report.state === "FAILED");
  if (ready > 0) {
    const message =
      failed.length > 0 ? `failed to load on ${failed.length} of ${live.length} replicas: ${failed[0]!.message}` : null;
    return { ...base, state: "READY", message };
  }
  if (failed.length > 0 && failed.length === reports.length && reports.length === live.length) {
    return { ...base, state: "FAILED", message: failed[0]!.message ?? "failed to load" };
  }
  return { ...base, state: "LOADING", message: null };
}

/** The endpoint's headline: the Production version's state (Staging's when there is no Production). */
export function endpointStatus(
  modelName: string,
  deployed: boolean,
  versions: ServedVersion[],
  replicas: ReplicaDto[],
): { status: EndpointStatus; statusMessage: string | null } {
  if (!deployed) return { status: "NOT_DEPLOYED", statusMessage: null };
  const primary = versions.find((version) => version.label === "production") ?? versions[0];
  if (!primary) {
    return { status: "NOT_DEPLOYED", statusMessage: "no Ready version in Production or Staging to serve" };
  }
  if (primary.state !== "FAILED") return { status: primary.state, statusMessage: primary.message };
  const fallback = replicas
    .filter((replica) => replica.live)
    .flatMap((replica) => replica.models)
    // Replicas report every model they host; only this model's versions can keep answering for it.
    .find((model) => model.modelName === modelName && model.state === "READY" && model.labels.includes(primary.label));
  const keeps = fallback ? ` Version ${fallback.version} keeps answering ${primary.label} requests.` : "";
  return {
    status: "FAILED",
    statusMessage: `version ${primary.version} failed to load: ${primary.message ?? "no reason given"}.${keeps}`,
  };
}

const EMPTY_STATS: EndpointStats = {
  requests: 0,
  requestsPerSecond: 0,
  errorRate: 0,
  p50Ms: null,
  p95Ms: null,
  p99Ms: null,
  lastRequestAt: null,
};

const endpointInclude = {
  deployment: true,
  versions: {
    where: { stage: { in: servedStages }, status: "READY" as const },
    select: { id: true, version: true, stage: true },
  },
} satisfies Prisma.RegisteredModelInclude;

type EndpointModelRow = Prisma.RegisteredModelGetPayload<{ include: typeof endpointInclude }>;

async function toEndpointDtos(database: Db, models: EndpointModelRow[]): Promise<EndpointDto[]> {
  const now = new Date();
  const [replicas, summaries] = await Promise.all([
    listReplicas(database, now),
    endpointSummaries(
      database,
      models.map((model) => model.id),
      { now },
    ),
  ]);
  return models.map((model) => {
    const deployed = model.deployment?.enabled ?? false;
    const wanted: VersionRef[] = model.versions
      .map((version) => ({
        versionId: version.id,
        version: version.version,
        label: LABEL_OF_STAGE[version.stage as keyof typeof LABEL_OF_STAGE],
      }))
      .sort((a, b) => (a.label === b.label ? 0 : a.label === "production" ? -1 : 1));
    const versions = deployed ? wanted.map((version) => servedVersionState(version, replicas)) : [];
    const summary = summaries.get(model.id);
    return {
      modelName: model.name,
      modelId: model.id,
      deployed,
      settings: model.deployment ? settingsOf(model.deployment) : null,
      ...endpointStatus(model.name, deployed, versions, replicas),
      versions,
      urls: endpointUrls(model.name),
      stats: summary ? { ...summary, lastRequestAt: summary.lastRequestAt?.toISOString() ?? null } : EMPTY_STATS,
      replicas,
      updatedAt: model.deployment?.updatedAt.toISOString() ?? null,
    };
  });
}

export async function getEndpoint(modelName: string, database: Db = defaultDb()): Promise<EndpointDto> {
  const model = await database.registeredModel.findUnique({ where: { name: modelName }, include: endpointInclude });
  if (!model) throw notFound(`model '${modelName}'`);
  const [endpoint] = await toEndpointDtos(database, [model]);
  return endpoint!;
}

/** Every model that has an endpoint (deployed now or before), newest deployment first. */
export async function listEndpoints(
  { page, pageSize }: Pagination,
  database: Db = defaultDb(),
): Promise<{ items: EndpointDto[]; total: number; page: number; pageSize: number }> {
  const where = { deployment: { isNot: null } } satisfies Prisma.RegisteredModelWhereInput;
  const [total, models] = await Promise.all([
    database.registeredModel.count({ where }),
    database.registeredModel.findMany({
      where,
      include: endpointInclude,
      orderBy: [{ deployment: { enabled: "desc" } }, { name: "asc" }],
      skip: (page - 1) * pageSize,
      take: pageSize,
    }),
  ]);
  return { items: await toEndpointDtos(database, models), total, page, pageSize };
}
