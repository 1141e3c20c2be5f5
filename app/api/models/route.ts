import { apiRoute, jsonResponse, parseJsonBody, parseQuery } from "@/lib/api/handler";
import { createModel, createModelSchema, listModels, listModelsQuerySchema } from "@/lib/registry";

export const GET = apiRoute(async ({ req }) => listModels(parseQuery(req, listModelsQuerySchema)), {
  permission: "models.read",
});

export const POST = apiRoute(
  async ({ req, actor }) =>
    jsonResponse(await createModel(await parseJsonBody(req, createModelSchema), actor.name), 201),
  { permission: "models.write" },
);
