/**
 * Evaluations: a version run over a dataset by the worker's `evaluate` job. Starting one checks
 * everything that can be checked up front (the version is Ready, the dataset belongs to the model,
 * the columns map onto the inputs, the labels fit the model), so a bad request never queues a job.
 */
import { z } from "zod";
import { versionNumber, versionNumberFromText } from "@/lib/api/fields";
import { db as defaultDb, Prisma, type Db } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import { QueueName, sendToQueue } from "@/lib/jobs";
import { findModelRow } from "@/lib/registry/models";
import { findVersionRow } from "@/lib/registry/versions";
import { JOB_STATES, paginationSchema, signatureSchema, type Page } from "@/lib/registry/schemas";
import { evaluationOptionsSchema, planEvaluation, EVALUATION_TASKS, type DatasetColumnInfo } from "./mapping";

export const startEvaluationSchema = evaluationOptionsSchema.extend({ datasetId: z.uuid() });
export type StartEvaluationInput = z.infer<typeof startEvaluationSchema>;

export const startEvaluationsSchema = startEvaluationSchema.extend({
  versions: z.array(versionNumber()).min(1, "choose at least one version").max(20),
});

export const listEvaluationsQuerySchema = paginationSchema.extend({
  version: versionNumberFromText().optional(),
  datasetId: z.uuid().optional(),
});

export const evaluationDtoSchema = z.object({
  id: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  versionId: z.string(),
  datasetId: z.string(),
  datasetName: z.string(),
  jobId: z.string(),
  state: z.enum(JOB_STATES),
  progress: z.number(),
  error: z.string().nullable(),
  task: z.enum(EVALUATION_TASKS),
  labelColumn: z.string(),
  rowsTotal: z.number().int(),
  rowsDone: z.number().int(),
  /** Final metrics: a classification or regression report (see lib/evaluate). */
  report: z.record(z.string(), z.unknown()).nullable(),
  rowsPerSecond: z.number().nullable(),
  hasPredictions: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type EvaluationDto = z.infer<typeof evaluationDtoSchema>;

const evaluationInclude = {
  job: true,
  dataset: { select: { name: true } },
  version: { select: { version: true, model: { select: { name: true } } } },
} satisfies Prisma.EvaluationInclude;

type EvaluationRow = Prisma.EvaluationGetPayload<{ include: typeof evaluationInclude }>;

function toEvaluationDto(row: EvaluationRow): EvaluationDto {
  const plan = row.mapping as { labelColumn?: string };
  return {
    id: row.id,
    modelName: row.version.model.name,
    version: row.version.version,
    versionId: row.versionId,
    datasetId: row.datasetId,
    datasetName: row.dataset.name,
    jobId: row.jobId,
    state: row.job.state,
    progress: row.job.progress,
    error: row.job.error,
    task: row.task,
    labelColumn: plan.labelColumn ?? "",
    rowsTotal: row.rowsTotal,
    rowsDone: row.rowsDone,
    report: (row.report as Record<string, unknown> | null) ?? null,
    rowsPerSecond: row.rowsPerSecond,
    hasPredictions: row.predictionsSha256 !== null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

const datasetColumnsSchema = z.array(
  z.object({
    name: z.string(),
    kind: z.enum(["number", "string"]),
    min: z.number().optional(),
    max: z.number().optional(),
  }),
);

interface PreparedEvaluation {
  versionId: string;
  datasetId: string;
  rowsTotal: number;
  plan: ReturnType<typeof planEvaluation>;
}

/** Everything that can be checked before anything is written: the version, the dataset and the mapping. */
async function prepareEvaluation(
  modelName: string,
  version: number,
  input: StartEvaluationInput,
  database: Db,
): Promise<PreparedEvaluation> {
  const versionRow = await findVersionRow(modelName, version, database);
  if (versionRow.status !== "READY") {
    throw new AppError(
      "conflict",
      `version ${version} is not Ready (${versionRow.status.toLowerCase()}); only Ready versions can be evaluated`,
    );
  }
  const signature = signatureSchema.safeParse(versionRow.signature);
  if (!signature.success) throw new AppError("conflict", `version ${version} has no signature to evaluate against`);
  const dataset = await database.dataset.findFirst({ where: { id: input.datasetId, modelId: versionRow.modelId } });
  if (!dataset) throw notFound(`dataset '${input.datasetId}' of model '${modelName}'`);
  const { datasetId, ...options } = input;
  const plan = planEvaluation(
    signature.data,
    datasetColumnsSchema.parse(dataset.columns) as DatasetColumnInfo[],
    dataset.labelColumn,
    options,
  );
  return { versionId: versionRow.id, datasetId, rowsTotal: dataset.rowCount, plan };
}

/** Writes the evaluations and their jobs in one transaction, then queues them. */
async function createEvaluations(
  modelName: string,
  prepared: PreparedEvaluation[],
  actor: string,
  database: Db,
): Promise<EvaluationDto[]> {
  const created = await database.$transaction(async (tx) => {
    const rows = [];
    for (const { versionId, datasetId, rowsTotal, plan } of prepared) {
      const job = await tx.job.create({ data: { kind: "EVALUATE", versionId, createdBy: actor } });
      const evaluation = await tx.evaluation.create({
        data: {
          versionId,
          datasetId,
          jobId: job.id,
          task: plan.task,
          mapping: plan as unknown as Prisma.InputJsonValue,
          rowsTotal,
          createdBy: actor,
        },
      });
      await tx.job.update({ where: { id: job.id }, data: { payload: { evaluationId: evaluation.id } } });
      rows.push(evaluation);
    }
    return rows;
  });
  for (const evaluation of created) {
    await sendToQueue(QueueName.Evaluate, { jobId: evaluation.jobId, evaluationId: evaluation.id });
  }
  const started: EvaluationDto[] = [];
  for (const evaluation of created) started.push(await getEvaluation(modelName, evaluation.id, database));
  return started;
}

export async function startEvaluation(
  modelName: string,
  version: number,
  input: StartEvaluationInput,
  actor: string,
  database: Db = defaultDb(),
): Promise<EvaluationDto> {
  const prepared = await prepareEvaluation(modelName, version, input, database);
  const [started] = await createEvaluations(modelName, [prepared], actor, database);
  return started!;
}

/**
 * "Evaluate several versions at once": one evaluation per version. Every version is checked first and
 * all are created together, so a version that cannot be evaluated starts none of them.
 */
export async function startEvaluations(
  modelName: string,
  input: z.infer<typeof startEvaluationsSchema>,
  actor: string,
  database: Db = defaultDb(),
): Promise<EvaluationDto[]> {
  const { versions, ...rest } = input;
  const prepared: PreparedEvaluation[] = [];
  for (const version of [...new Set(versions)]) {
    try {
      prepared.push(await prepareEvaluation(modelName, version, rest, database));
    } catch (error) {
      // Mapping refusals do not say which version they are about; with several, that matters.
      if (error instanceof AppError && !error.message.startsWith(`version ${version}`)) {
        throw new AppError(
          error.code,
          `version ${version}: ${error.message}; no evaluation was started`,
          error.details,
        );
      }
      throw error;
    }
  }
  return createEvaluations(modelName, prepared, actor, database);
}

/**
 * An evaluation and its job are read in one snapshot: Prisma loads relations with separate queries,
 * and the job's final state commits together with the report, so a reader must never see one
 * without the other.
 */
const inSnapshot = <T>(database: Db, read: (tx: Prisma.TransactionClient) => Promise<T>) =>
  database.$transaction(read, { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead });

export async function getEvaluation(modelName: string, id: string, database: Db = defaultDb()): Promise<EvaluationDto> {
  const row = z.uuid().safeParse(id).success
    ? await inSnapshot(database, (tx) =>
        tx.evaluation.findFirst({ where: { id, version: { model: { name: modelName } } }, include: evaluationInclude }),
      )
    : null;
  if (!row) throw notFound(`evaluation '${id}' of model '${modelName}'`);
  return toEvaluationDto(row);
}

export async function listEvaluations(
  modelName: string,
  query: z.infer<typeof listEvaluationsQuerySchema>,
  database: Db = defaultDb(),
): Promise<Page<EvaluationDto>> {
  const model = await findModelRow(modelName, database);
  const where: Prisma.EvaluationWhereInput = {
    version: { modelId: model.id, ...(query.version ? { version: query.version } : {}) },
    ...(query.datasetId ? { datasetId: query.datasetId } : {}),
  };
  const [total, rows] = await inSnapshot(
    database,
    async (tx) =>
      [
        await tx.evaluation.count({ where }),
        await tx.evaluation.findMany({
          where,
          include: evaluationInclude,
          orderBy: [{ createdAt: "desc" }, { id: "asc" }],
          skip: (query.page - 1) * query.pageSize,
          take: query.pageSize,
        }),
      ] as const,
  );
  return { items: rows.map(toEvaluationDto), total, page: query.page, pageSize: query.pageSize };
}

/** Where the predictions file of a finished evaluation is (for the download route). */
export async function evaluationPredictions(modelName: string, id: string, database: Db = defaultDb()) {
  const row = z.uuid().safeParse(id).success
    ? await database.evaluation.findFirst({
        where: { id, version: { model: { name: modelName } } },
        select: {
          predictionsSha256: true,
          version: { select: { version: true } },
          dataset: { select: { name: true } },
        },
      })
    : null;
  if (!row) throw notFound(`evaluation '${id}' of model '${modelName}'`);
  if (!row.predictionsSha256) throw new AppError("conflict", "the evaluation has not written its predictions yet");
  return {
    sha256: row.predictionsSha256,
    filename: `${modelName}-v${row.version.version}-${row.dataset.name}-predictions.csv`,
  };
}
