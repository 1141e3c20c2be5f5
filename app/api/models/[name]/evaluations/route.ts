import { apiRoute, jsonResponse, parseJsonBody, parseQuery } from "@/lib/api/handler";
import {
  listEvaluations,
  listEvaluationsQuerySchema,
  startEvaluations,
  startEvaluationsSchema,
} from "@/lib/evaluate/evaluations";

type Params = { name: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => listEvaluations(params.name, parseQuery(req, listEvaluationsQuerySchema)),
  { permission: "models.read" },
);

/** Evaluate several versions on one dataset: `{ datasetId, versions: [..], ...options }`. */
export const POST = apiRoute<Params>(
  async ({ req, params, actor }) => {
    const input = await parseJsonBody(req, startEvaluationsSchema);
    return jsonResponse({ items: await startEvaluations(params.name, input, actor.name) }, 202);
  },
  { permission: "evaluations.run" },
);
