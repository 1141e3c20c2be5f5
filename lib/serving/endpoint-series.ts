import { db as defaultDb, type Db } from "@/lib/db";
import { notFound } from "@/lib/errors";
import { versionNotFound } from "@/lib/registry/versions";
import { presetWindow, queryEndpointSeries } from "./metric-store";
import type { EndpointRange, EndpointSeries } from "./schemas";

export interface EndpointSeriesQuery {
  range: EndpointRange;
  /** Only this version's requests; all versions when absent. */
  version?: number;
}

/**
 * The endpoint's request statistics over one of the range presets, ending now, in the shape the
 * API returns. An unknown model or version is a 404 rather than an empty series, so a typo in a
 * dashboard URL or script is not mistaken for an idle endpoint.
 */
export async function getEndpointSeries(
  modelName: string,
  query: EndpointSeriesQuery,
  database: Db = defaultDb(),
  now = new Date(),
): Promise<EndpointSeries> {
  const model = await database.registeredModel.findUnique({ where: { name: modelName }, select: { id: true } });
  if (!model) throw notFound(`model '${modelName}'`);
  let versionId: string | undefined;
  if (query.version !== undefined) {
    const version = await database.modelVersion.findFirst({
      where: { modelId: model.id, version: query.version },
      select: { id: true },
    });
    if (!version) throw versionNotFound(modelName, query.version);
    versionId = version.id;
  }
  const span = presetWindow(query.range, now);
  const series = await queryEndpointSeries(database, { modelId: model.id, ...span, versionId });
  return { range: query.range, stepSeconds: span.stepSeconds, ...series };
}
