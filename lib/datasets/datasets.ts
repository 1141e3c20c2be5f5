import type { Readable } from "node:stream";
import { z } from "zod";
import { artifactStore, type ArtifactStore, type StoredArtifact } from "@/lib/artifacts";
import { config } from "@/lib/config";
import { db as defaultDb, type Db, type Tx } from "@/lib/db";
import type { Dataset, RegisteredModel } from "@/lib/db/generated/client";
import { AppError, notFound } from "@/lib/errors";
import {
  claimArtifact,
  evaluationPredictionFiles,
  releaseArtifact,
  releaseArtifacts,
  storeUpload,
} from "@/lib/registry/artifacts";
import { findModelRow, likeLiteral } from "@/lib/registry/models";
import type { Page, Pagination } from "@/lib/registry/schemas";
import { isUniqueViolation } from "@/lib/registry/versions";
import { formatHint } from "./formats";
import { checkLabelColumn, DatasetProfiler, type DatasetProfile } from "./profile";
import {
  cellValueSchema,
  DATASET_NAME_MAX,
  datasetColumnSchema,
  type DatasetDto,
  type UpdateDatasetInput,
} from "./schemas";

type DatasetRow = Dataset & { model: Pick<RegisteredModel, "name"> };
const withModelName = { model: { select: { name: true } } } as const;

const columnsSchema = z.array(datasetColumnSchema);
const previewSchema = z.array(z.array(cellValueSchema));

export function toDatasetDto(row: DatasetRow): DatasetDto {
  return {
    id: row.id,
    modelName: row.model.name,
    name: row.name,
    format: row.format,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.artifactSha256,
    rowCount: row.rowCount,
    columns: columnsSchema.parse(row.columns),
    labelColumn: row.labelColumn,
    preview: previewSchema.parse(row.preview),
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  };
}

const datasetNotFound = (modelName: string, dataset: string) =>
  notFound(`dataset '${dataset}' of model '${modelName}'`);
const nameTaken = (modelName: string, name: string) =>
  new AppError("conflict", `model '${modelName}' already has a dataset named '${name}'; choose another name`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A dataset by id or, for hand-written URLs, by name. */
export async function findDatasetRow(
  modelName: string,
  idOrName: string,
  database: Db = defaultDb(),
): Promise<DatasetRow> {
  const model = await findModelRow(modelName, database);
  const row = await database.dataset.findFirst({
    where: {
      modelId: model.id,
      OR: UUID.test(idOrName) ? [{ id: idOrName }, { name: idOrName }] : [{ name: idOrName }],
    },
    include: withModelName,
  });
  if (!row) throw datasetNotFound(modelName, idOrName);
  return row;
}

/** The file name without its extension, made a valid dataset name, leaving room for a `-N` suffix. */
export function datasetNameFromFile(filename: string): string {
  const base = filename
    .replace(/\.[^.]*$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, DATASET_NAME_MAX - 6);
  return base || "dataset";
}

/** `base`, or `base-2`, `base-3`, ... whichever is free first. */
async function freeName(tx: Tx, modelId: string, base: string): Promise<string> {
  const rows = await tx.dataset.findMany({
    where: { modelId, name: { startsWith: likeLiteral(base) } },
    select: { name: true },
  });
  const taken = new Set(rows.map((row) => row.name));
  let name = base;
  for (let suffix = 2; taken.has(name); suffix++) name = `${base}-${suffix}`;
  return name;
}

/** A wide profile (MAX_DATASET_COLUMNS raised) takes seconds to write; Prisma's default timeout is 5 s. */
const REGISTER_TRANSACTION = { timeout: 60_000 };

/** Two uploads of the same name at once: the loser picks the next free name. */
const NAME_ATTEMPTS = 10;

export interface DatasetUploadInput {
  modelName: string;
  body: Readable | AsyncIterable<Uint8Array>;
  /** As uploaded; the default name and a hint of the format. */
  filename: string;
  contentType?: string;
  /** Default: the file name without extension, made unique (`digits_test-2`). */
  name?: string;
  /** Default: detected (`label`, `target`, `y` or `class`). */
  labelColumn?: string;
  actor: string;
}

/**
 * Streams an upload into the artifact store while profiling it on the way, then registers the
 * dataset. Malformed content fails the store itself, so the temporary file is removed and nothing
 * is registered; a later failure releases the stored file. Either way nothing is left behind.
 */
export async function createDatasetFromUpload(
  input: DatasetUploadInput,
  options: { database?: Db; store?: ArtifactStore; maxBytes?: number } = {},
): Promise<DatasetDto> {
  const database = options.database ?? defaultDb();
  const store = options.store ?? artifactStore();
  const model = await findModelRow(input.modelName, database);
  // Refuse a taken name before receiving a large file; the insert checks again.
  if (input.name !== undefined && (await database.dataset.count({ where: { modelId: model.id, name: input.name } }))) {
    throw nameTaken(model.name, input.name);
  }
  const profiler = new DatasetProfiler({
    formatHint: formatHint(input.filename, input.contentType),
    labelColumn: input.labelColumn,
    maxColumns: config().MAX_DATASET_COLUMNS,
  });
  let profile: DatasetProfile | undefined;
  async function* profiled(): AsyncGenerator<Uint8Array> {
    for await (const chunk of input.body) {
      profiler.write(chunk as Uint8Array);
      yield chunk as Uint8Array;
    }
    profile = profiler.end();
  }
  const stored = await storeUpload(profiled(), options.maxBytes ?? config().MAX_DATASET_BYTES, store);
  try {
    if (!profile) throw new Error("the upload was stored before its profile was complete");
    return toDatasetDto(await registerDataset({ database, store, stored, profile, model, input }));
  } catch (error) {
    await releaseArtifact(database, stored.sha256, store).catch(() => false);
    throw error;
  }
}

async function registerDataset({
  database,
  store,
  stored,
  profile,
  model,
  input,
}: {
  database: Db;
  store: ArtifactStore;
  stored: StoredArtifact;
  profile: DatasetProfile;
  model: { id: string; name: string };
  input: DatasetUploadInput;
}): Promise<DatasetRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.$transaction(async (tx) => {
        await claimArtifact(tx, stored, store);
        return tx.dataset.create({
          data: {
            modelId: model.id,
            name: input.name ?? (await freeName(tx, model.id, datasetNameFromFile(input.filename))),
            format: profile.format,
            artifactSha256: stored.sha256,
            sizeBytes: BigInt(stored.sizeBytes),
            rowCount: profile.rowCount,
            columns: profile.columns,
            labelColumn: profile.labelColumn,
            preview: profile.preview,
            createdBy: input.actor,
          },
          include: withModelName,
        });
      }, REGISTER_TRANSACTION);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (input.name !== undefined) throw nameTaken(model.name, input.name);
      if (attempt === NAME_ATTEMPTS) {
        throw new AppError("conflict", "other uploads took every name tried for this dataset; upload it again");
      }
    }
  }
}

/** Newest first. */
export async function listDatasets(
  modelName: string,
  pagination: Pagination,
  database: Db = defaultDb(),
): Promise<Page<DatasetDto>> {
  const model = await findModelRow(modelName, database);
  const [total, rows] = await Promise.all([
    database.dataset.count({ where: { modelId: model.id } }),
    database.dataset.findMany({
      where: { modelId: model.id },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      skip: (pagination.page - 1) * pagination.pageSize,
      take: pagination.pageSize,
      include: withModelName,
    }),
  ]);
  return { items: rows.map(toDatasetDto), page: pagination.page, pageSize: pagination.pageSize, total };
}

export async function getDataset(modelName: string, idOrName: string, database: Db = defaultDb()): Promise<DatasetDto> {
  return toDatasetDto(await findDatasetRow(modelName, idOrName, database));
}

/** For jobs, which know the dataset by id only. */
export async function getDatasetById(id: string, database: Db = defaultDb()): Promise<DatasetDto> {
  const row = UUID.test(id) ? await database.dataset.findUnique({ where: { id }, include: withModelName }) : null;
  if (!row) throw notFound(`dataset '${id}'`);
  return toDatasetDto(row);
}

/** Renames the dataset, or sets or clears its label column (which must be one of its columns). */
export async function updateDataset(
  modelName: string,
  idOrName: string,
  input: UpdateDatasetInput,
  database: Db = defaultDb(),
): Promise<DatasetDto> {
  const row = await findDatasetRow(modelName, idOrName, database);
  if (typeof input.labelColumn === "string") {
    checkLabelColumn(
      columnsSchema.parse(row.columns).map((column) => column.name),
      input.labelColumn,
    );
  }
  try {
    return toDatasetDto(await database.dataset.update({ where: { id: row.id }, data: input, include: withModelName }));
  } catch (error) {
    if (isUniqueViolation(error) && input.name !== undefined) throw nameTaken(row.model.name, input.name);
    throw error;
  }
}

/** Deletes the dataset and releases its file, unless an evaluation of it is queued or running. */
export async function deleteDataset(
  modelName: string,
  idOrName: string,
  options: { database?: Db; store?: ArtifactStore } = {},
): Promise<void> {
  const database = options.database ?? defaultDb();
  const row = await findDatasetRow(modelName, idOrName, database);
  const predictionFiles = await database.$transaction(async (tx) => {
    // Creating an evaluation locks this row (its foreign key) until it commits: after this lock,
    // an evaluation created before is visible below, and one created after fails on the key.
    await tx.$executeRaw`SELECT 1 FROM dataset WHERE id = ${row.id}::uuid FOR UPDATE`;
    const active = await tx.evaluation.findFirst({
      where: { datasetId: row.id, job: { state: { in: ["QUEUED", "RUNNING"] } } },
      select: { job: { select: { id: true, state: true } }, version: { select: { version: true } } },
    });
    if (active) {
      throw new AppError(
        "conflict",
        `dataset '${row.name}' is used by an evaluation of version ${active.version.version} ` +
          `(job ${active.job.id} is ${active.job.state.toLowerCase()}); delete it once the job has finished`,
      );
    }
    // Finished evaluations of the dataset go with it (cascade), and so do their predictions files.
    const files = await evaluationPredictionFiles(tx, { datasetId: row.id });
    await tx.dataset.delete({ where: { id: row.id } });
    return files;
  });
  await releaseArtifacts(database, [row.artifactSha256, ...predictionFiles], options.store);
}
