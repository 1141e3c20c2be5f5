import { apiRoute } from "@/lib/api/handler";
import { getEvaluation } from "@/lib/evaluate/evaluations";

export const GET = apiRoute<{ name: string; id: string }>(async ({ params }) => getEvaluation(params.name, params.id), {
  permission: "models.read",
});
