import { apiRoute, parseQuery } from "@/lib/api/handler";
import { paginationSchema } from "@/lib/registry";
import { listEndpoints } from "@/lib/serving/deployments";

export const GET = apiRoute(async ({ req }) => listEndpoints(parseQuery(req, paginationSchema)), {
  permission: "models.read",
});
