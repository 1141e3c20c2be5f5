import { apiRoute, parseQuery } from "@/lib/api/handler";
import { getEndpointSeries } from "@/lib/serving/endpoint-series";
import { endpointSeriesQuerySchema } from "@/lib/serving/schemas";

type Params = { name: string };

export const GET = apiRoute<Params>(
  async ({ req, params }) => getEndpointSeries(params.name, parseQuery(req, endpointSeriesQuerySchema)),
  { permission: "models.read" },
);
