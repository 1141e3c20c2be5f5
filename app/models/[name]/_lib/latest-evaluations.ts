import "server-only";
import { db as defaultDb, Prisma, type Db } from "@/lib/db";
import type { LatestEvaluation } from "@/components/evaluations/latest";

/**
 * The newest succeeded evaluation per (version, dataset) of a model, for the Accuracy chart and
 * the comparison page. One query: the API lists evaluations page by page, which would take many
 * round trips to cover every version, and only finished reports matter here.
 */
export async function loadLatestEvaluations(
  modelName: string,
  filter: { datasetId?: string; versions?: number[] } = {},
  database: Db = defaultDb(),
): Promise<LatestEvaluation[]> {
  const rows = await database.evaluation.findMany({
    where: {
      version: { model: { name: modelName }, ...(filter.versions ? { version: { in: filter.versions } } : {}) },
      ...(filter.datasetId ? { datasetId: filter.datasetId } : {}),
      job: { state: "SUCCEEDED" },
      report: { not: Prisma.DbNull },
    },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    distinct: ["versionId", "datasetId"],
    select: {
      id: true,
      datasetId: true,
      report: true,
      finishedAt: true,
      dataset: { select: { name: true } },
      version: { select: { version: true } },
    },
  });
  return rows
    .map((row) => ({
      id: row.id,
      version: row.version.version,
      datasetId: row.datasetId,
      datasetName: row.dataset.name,
      report: row.report as Record<string, unknown>,
      finishedAt: row.finishedAt?.toISOString() ?? null,
    }))
    .sort((a, b) => a.version - b.version || a.datasetName.localeCompare(b.datasetName));
}
