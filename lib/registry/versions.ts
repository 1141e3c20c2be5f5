import type { Readable } from "node:stream";
import { artifactStore, type ArtifactStore } from "@/lib/artifacts";
import { config } from "@/lib/config";
import { db as defaultDb, Prisma, type Db } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import { QueueName, sendToQueue } from "@/lib/jobs";
import { announceDeploymentChange } from "@/lib/serving/notify";
import { claimArtifact, evaluationPredictionFiles, releaseArtifact, releaseArtifacts, storeUpload } from "./artifacts";
import { asSignature, toMetricDto, toTransitionDto, toVersionSummary } from "./dto";
import { findModelRow } from "./models";
import type { Page, Pagination, UpdateVersionInput, VersionDetail, VersionSummary } from "./schemas";

export const versionNotFound = (modelName: string, version: number) =>
  notFound(`version ${version} of model '${modelName}'`);

/** Latest value of every metric key, for many versions in one query. */
export async function latestMetricsByVersion(
  database: Db,
  versionIds: string[],
): Promise<Map<string, Record<string, number>>> {
  const result = new Map<string, Record<string, number>>(versionIds.map((id) => [id, {}]));
  if (versionIds.length === 0) return result;
  const rows = await database.$queryRaw<{ version_id: string; key: string; value: number }[]>`
    SELECT DISTINCT ON (version_id, key) version_id, key, value
    FROM version_metric
    WHERE version_id = ANY(${versionIds}::uuid[])
    ORDER BY version_id, key, timestamp DESC, step DESC, id DESC`;
  for (const row of rows) result.get(row.version_id)![row.key] = row.value;
  return result;
}

export interface UploadInput {
  modelName: string;
  body: Readable | AsyncIterable<Uint8Array>;
  originalFilename: string;
  description?: string;
  tags?: string[];
  actor: string;
}

/**
 * Streams an upload into the artifact store, then registers it as a PENDING version with a
 * `validate` job in one transaction, and only then enqueues the job. A failure at any step leaves
 * no row and no file behind.
 */
export async function createVersionFromUpload(
  input: UploadInput,
  options: { database?: Db; store?: ArtifactStore; maxBytes?: number } = {},
): Promise<VersionSummary> {
  const database = options.database ?? defaultDb();
  const store = options.store ?? artifactStore();
  const model = await findModelRow(input.modelName, database);
  const stored = await storeUpload(input.body, options.maxBytes ?? config().MAX_UPLOAD_BYTES, store);
  const releaseOnFailure = () => releaseArtifact(database, stored.sha256, store).catch(() => false);
  if (stored.sizeBytes === 0) {
    await releaseOnFailure();
    throw new AppError("bad_request", "the file is empty");
  }
  let created;
  try {
    created = await database.$transaction(async (tx) => {
      await claimArtifact(tx, stored, store);
      const { lastVersion } = await tx.registeredModel.update({
        where: { id: model.id },
        data: { lastVersion: { increment: 1 } },
        select: { lastVersion: true },
      });
      const version = await tx.modelVersion.create({
        data: {
          modelId: model.id,
          version: lastVersion,
          artifactSha256: stored.sha256,
          sizeBytes: BigInt(stored.sizeBytes),
          originalFilename: input.originalFilename,
          description: input.description ?? "",
          tags: input.tags ?? [],
          createdBy: input.actor,
          source: "UPLOAD",
          sourceDetail: { filename: input.originalFilename },
        },
        include: { model: { select: { name: true } } },
      });
      const job = await tx.job.create({ data: { kind: "VALIDATE", versionId: version.id, createdBy: input.actor } });
      return { version, jobId: job.id };
    });
  } catch (error) {
    await releaseOnFailure();
    throw error;
  }
  await sendToQueue(QueueName.Validate, { jobId: created.jobId, versionId: created.version.id });
  return toVersionSummary(created.version, {});
}

export async function findVersionRow(modelName: string, version: number, database: Db = defaultDb()) {
  const row = await database.modelVersion.findFirst({
    where: { version, model: { name: modelName } },
    include: { model: { select: { name: true } } },
  });
  if (!row) throw versionNotFound(modelName, version);
  return row;
}

export async function listVersions(
  modelName: string,
  pagination: Pagination,
  database: Db = defaultDb(),
): Promise<Page<VersionSummary>> {
  const model = await findModelRow(modelName, database);
  const [total, rows] = await Promise.all([
    database.modelVersion.count({ where: { modelId: model.id } }),
    database.modelVersion.findMany({
      where: { modelId: model.id },
      orderBy: { version: "desc" },
      skip: (pagination.page - 1) * pagination.pageSize,
      take: pagination.pageSize,
      include: { model: { select: { name: true } } },
    }),
  ]);
  const metrics = await latestMetricsByVersion(
    database,
    rows.map((row) => row.id),
  );
  return {
    items: rows.map((row) => toVersionSummary(row, metrics.get(row.id) ?? {})),
    page: pagination.page,
    pageSize: pagination.pageSize,
    total,
  };
}

export async function getVersion(
  modelName: string,
  version: number,
  database: Db = defaultDb(),
): Promise<VersionDetail> {
  const row = await database.modelVersion.findFirst({
    where: { version, model: { name: modelName } },
    include: {
      model: { select: { name: true } },
      parent: { select: { id: true, version: true, model: { select: { name: true } } } },
      children: { select: { id: true, version: true, model: { select: { name: true } } }, orderBy: { version: "asc" } },
      metrics: { orderBy: [{ key: "asc" }, { timestamp: "asc" }, { step: "asc" }, { id: "asc" }] },
      transitions: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
    },
  });
  if (!row) throw versionNotFound(modelName, version);
  const ref = (v: { id: string; version: number; model: { name: string } }) => ({
    id: v.id,
    modelName: v.model.name,
    version: v.version,
  });
  const metricHistory = row.metrics.map(toMetricDto);
  const latest: Record<string, number> = {};
  for (const metric of metricHistory) latest[metric.key] = metric.value;
  return {
    ...toVersionSummary(row, latest),
    signature: asSignature(row.signature),
    opset: row.opset,
    producer: row.producer,
    parameterCount: row.parameterCount === null ? null : Number(row.parameterCount),
    source: row.source,
    sourceDetail: (row.sourceDetail as Record<string, unknown> | null) ?? null,
    parent: row.parent ? ref(row.parent) : null,
    children: row.children.map(ref),
    metricHistory,
    transitions: row.transitions.map(toTransitionDto),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function updateVersion(
  modelName: string,
  version: number,
  input: UpdateVersionInput,
  database: Db = defaultDb(),
): Promise<VersionDetail> {
  const row = await findVersionRow(modelName, version, database);
  await database.modelVersion.update({ where: { id: row.id }, data: input });
  return getVersion(modelName, version, database);
}

export async function deleteVersion(
  modelName: string,
  version: number,
  options: { database?: Db; store?: ArtifactStore } = {},
): Promise<void> {
  const database = options.database ?? defaultDb();
  const row = await findVersionRow(modelName, version, database);
  if (row.stage === "PRODUCTION") {
    throw new AppError(
      "conflict",
      `version ${version} is in Production; promote another version or archive this one before deleting it`,
    );
  }
  const predictionFiles = await evaluationPredictionFiles(database, { versionId: row.id });
  // The stage check and the delete must see the same row: a promotion in between keeps it.
  const deleted = await database.modelVersion.deleteMany({ where: { id: row.id, stage: { not: "PRODUCTION" } } });
  if (deleted.count === 0) {
    throw new AppError("conflict", `version ${version} was promoted to Production meanwhile; it was not deleted`);
  }
  // Its evaluations went with it (cascade); the prediction log has no foreign key to keep it lean.
  await database.predictionLog.deleteMany({ where: { versionId: row.id } });
  await releaseArtifacts(database, [row.artifactSha256, ...predictionFiles], options.store);
  // A deleted Staging version stops being served.
  await announceDeploymentChange(modelName);
}

export async function deleteModel(
  modelName: string,
  options: { database?: Db; store?: ArtifactStore } = {},
): Promise<void> {
  const database = options.database ?? defaultDb();
  const model = await findModelRow(modelName, database);
  const artifacts = await database.$transaction(async (tx) => {
    const production = await tx.modelVersion.findFirst({ where: { modelId: model.id, stage: "PRODUCTION" } });
    if (production) {
      throw new AppError(
        "conflict",
        `model '${modelName}' has version ${production.version} in Production; archive it before deleting the model`,
      );
    }
    // Versions, datasets and evaluations go with the model (cascade); their files are released after the commit.
    const versions = await tx.modelVersion.findMany({ where: { modelId: model.id }, select: { artifactSha256: true } });
    const datasets = await tx.dataset.findMany({ where: { modelId: model.id }, select: { artifactSha256: true } });
    const predictionFiles = await evaluationPredictionFiles(tx, { version: { modelId: model.id } });
    await tx.registeredModel.delete({ where: { id: model.id } });
    await tx.predictionLog.deleteMany({ where: { modelId: model.id } });
    return [...[...versions, ...datasets].map((row) => row.artifactSha256), ...predictionFiles];
  });
  await releaseArtifacts(database, artifacts, options.store);
  await announceDeploymentChange(modelName);
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
