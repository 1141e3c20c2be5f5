import { db as defaultDb, type Db } from "@/lib/db";
import { toMetricDto } from "./dto";
import type { MetricDto, MetricInput } from "./schemas";
import { findVersionRow } from "./versions";

export async function logMetrics(
  modelName: string,
  version: number,
  metrics: MetricInput[],
  database: Db = defaultDb(),
): Promise<MetricDto[]> {
  const row = await findVersionRow(modelName, version, database);
  const now = new Date();
  const created = await database.versionMetric.createManyAndReturn({
    data: metrics.map((metric) => ({
      versionId: row.id,
      key: metric.key,
      value: metric.value,
      step: metric.step,
      timestamp: metric.timestamp ? new Date(metric.timestamp) : now,
    })),
  });
  return created.map(toMetricDto);
}

export async function listMetrics(
  modelName: string,
  version: number,
  key: string | undefined,
  database: Db = defaultDb(),
): Promise<MetricDto[]> {
  const row = await findVersionRow(modelName, version, database);
  const rows = await database.versionMetric.findMany({
    where: { versionId: row.id, ...(key ? { key } : {}) },
    orderBy: [{ key: "asc" }, { timestamp: "asc" }, { step: "asc" }, { id: "asc" }],
  });
  return rows.map(toMetricDto);
}
