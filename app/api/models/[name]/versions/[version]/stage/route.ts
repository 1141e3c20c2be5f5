import { apiRoute, parseJsonBody, parseVersionParam } from "@/lib/api/handler";
import { transitionSchema, transitionStage } from "@/lib/registry";

type Params = { name: string; version: string };

export const POST = apiRoute<Params>(
  async ({ req, params, actor }) =>
    transitionStage(
      params.name,
      parseVersionParam(params.version),
      await parseJsonBody(req, transitionSchema),
      actor.name,
    ),
  { permission: "versions.promote" },
);
