import { z } from "zod";
import { apiRoute, parseJsonBody } from "@/lib/api/handler";
import { recordFeedback } from "@/lib/serving/prediction-store";
import { parseFeedback } from "@/lib/serving/schemas";

type Params = { name: string };

/**
 * Ground truth for predictions an endpoint logged: `{requestId, label, row?}` or
 * `{items: [...]}` (up to 10,000), applied all together or not at all.
 */
export const POST = apiRoute<Params>(
  async ({ req, params }) => {
    return recordFeedback(params.name, parseFeedback(await parseJsonBody(req, z.unknown())));
  },
  { permission: "metrics.write" },
);
