import { apiRoute, parseQuery } from "@/lib/api/handler";
import { onlineAccuracySeries } from "@/lib/serving/prediction-store";
import { onlineAccuracyQuerySchema } from "@/lib/serving/schemas";

type Params = { name: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => onlineAccuracySeries(params.name, parseQuery(req, onlineAccuracyQuerySchema)),
  { permission: "models.read" },
);
