import { db as defaultDb, type Db, type Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { ensureDeploymentOnPromotion } from "@/lib/serving/deployments";
import { announceDeploymentChange } from "@/lib/serving/notify";
import { isUniqueViolation, getVersion, versionNotFound } from "./versions";
import { notFound } from "@/lib/errors";
import type { StageName, TransitionInput, VersionDetail } from "./schemas";

export const STAGE_LABEL: Record<StageName, string> = {
  NONE: "None",
  STAGING: "Staging",
  PRODUCTION: "Production",
  ARCHIVED: "Archived",
};

/** Stages that hold at most one version per model: entering one archives the previous holder. */
const SINGLE_HOLDER_STAGES: StageName[] = ["STAGING", "PRODUCTION"];

/** After a stage change commits, serving replicas are told to pick up the new Production/Staging versions. */
const notify = (modelName: string) => announceDeploymentChange(modelName);

/** Locks the model row so promotions of one model run one at a time. */
async function lockModel(tx: Tx, modelName: string): Promise<string> {
  const rows = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM registered_model WHERE name = ${modelName} FOR UPDATE`;
  const id = rows[0]?.id;
  if (!id) throw notFound(`model '${modelName}'`);
  return id;
}

async function moveStage(tx: Tx, versionId: string, from: StageName, to: StageName, actor: string, comment: string) {
  await tx.modelVersion.update({ where: { id: versionId }, data: { stage: to } });
  await tx.stageTransition.create({ data: { versionId, fromStage: from, toStage: to, actor, comment } });
}

async function enterStage(
  tx: Tx,
  modelId: string,
  target: { id: string; version: number; stage: StageName },
  to: StageName,
  actor: string,
  comment: string,
) {
  if (SINGLE_HOLDER_STAGES.includes(to)) {
    const holders = await tx.modelVersion.findMany({ where: { modelId, stage: to, id: { not: target.id } } });
    for (const holder of holders) {
      await moveStage(tx, holder.id, to, "ARCHIVED", actor, `replaced by version ${target.version}`);
    }
  }
  await moveStage(tx, target.id, target.stage, to, actor, comment);
  if (to === "PRODUCTION") await ensureDeploymentOnPromotion(tx, modelId, actor);
}

function concurrentPromotion(modelName: string) {
  return new AppError(
    "conflict",
    `another promotion of model '${modelName}' committed at the same time; reload and try again`,
  );
}

export async function transitionStage(
  modelName: string,
  version: number,
  input: TransitionInput,
  actor: string,
  database: Db = defaultDb(),
): Promise<VersionDetail> {
  try {
    await database.$transaction(async (tx) => {
      const modelId = await lockModel(tx, modelName);
      const row = await tx.modelVersion.findUnique({ where: { modelId_version: { modelId, version } } });
      if (!row) throw versionNotFound(modelName, version);
      if (row.stage === input.stage) {
        throw new AppError("conflict", `version ${version} is already in ${STAGE_LABEL[input.stage]}`);
      }
      if ((input.stage === "STAGING" || input.stage === "PRODUCTION") && row.status !== "READY") {
        const why =
          row.status === "PENDING"
            ? "is still being validated"
            : `failed validation (${row.statusMessage ?? "no reason recorded"})`;
        throw new AppError(
          "conflict",
          `version ${version} ${why}; only Ready versions can move to ${STAGE_LABEL[input.stage]}`,
        );
      }
      await enterStage(tx, modelId, row, input.stage, actor, input.comment);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw concurrentPromotion(modelName);
    throw error;
  }
  await notify(modelName);
  return getVersion(modelName, version, database);
}

/** Makes the most recent earlier Production version Production again, archiving the current one. */
export async function rollback(
  modelName: string,
  comment: string,
  actor: string,
  database: Db = defaultDb(),
): Promise<VersionDetail> {
  let restored: number;
  try {
    restored = await database.$transaction(async (tx) => {
      const modelId = await lockModel(tx, modelName);
      const current = await tx.modelVersion.findFirst({ where: { modelId, stage: "PRODUCTION" } });
      const previous = await tx.stageTransition.findFirst({
        where: {
          fromStage: "PRODUCTION",
          version: {
            modelId,
            status: "READY",
            stage: { not: "PRODUCTION" },
            ...(current ? { id: { not: current.id } } : {}),
          },
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        include: { version: true },
      });
      if (!previous)
        throw new AppError("conflict", `model '${modelName}' has no earlier Production version to roll back to`);
      const note = current ? `rolled back from version ${current.version}` : "rolled back";
      await enterStage(tx, modelId, previous.version, "PRODUCTION", actor, comment ? `${note}: ${comment}` : note);
      return previous.version.version;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw concurrentPromotion(modelName);
    throw error;
  }
  await notify(modelName);
  return getVersion(modelName, restored, database);
}
