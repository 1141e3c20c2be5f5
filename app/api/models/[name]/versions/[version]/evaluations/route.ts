import { apiRoute, jsonResponse, parseJsonBody, parseQuery, parseVersionParam } from "@/lib/api/handler";
import {
  listEvaluations,
  listEvaluationsQuerySchema,
  startEvaluation,
  startEvaluationSchema,
} from "@/lib/evaluate/evaluations";

type Params = { name: string; version: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => {
    const query = parseQuery(req, listEvaluationsQuerySchema.omit({ version: true }));
    return listEvaluations(params.name, { ...query, version: parseVersionParam(params.version) });
  },
  { permission: "models.read" },
);

/** Body: `{ datasetId, labelColumn?, task?, output?, inputs? }`; 202 with the evaluation (its job is queued). */
export const POST = apiRoute<Params>(
  async ({ req, params, actor }) => {
    const input = await parseJsonBody(req, startEvaluationSchema);
    return jsonResponse(await startEvaluation(params.name, parseVersionParam(params.version), input, actor.name), 202);
  },
  { permission: "evaluations.run" },
);
