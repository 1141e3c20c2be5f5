import { z } from "zod";
import { apiRoute, jsonResponse, parseJsonBody, parseQuery, parseVersionParam } from "@/lib/api/handler";
import { listMetrics, logMetrics, logMetricsSchema, metricKeySchema } from "@/lib/registry";

type Params = { name: string; version: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => {
    const { key } = parseQuery(req, z.object({ key: metricKeySchema.optional() }));
    return { metrics: await listMetrics(params.name, parseVersionParam(params.version), key) };
  },
  { permission: "models.read" },
);

/** Body: one metric `{ key, value, step?, timestamp? }` or `{ metrics: [...] }`. */
export const POST = apiRoute<Params>(
  async ({ req, params }) => {
    const version = parseVersionParam(params.version);
    const metrics = await logMetrics(params.name, version, await parseJsonBody(req, logMetricsSchema));
    return jsonResponse({ metrics }, 201);
  },
  { permission: "metrics.write" },
);
