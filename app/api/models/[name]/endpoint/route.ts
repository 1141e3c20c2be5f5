import { apiRoute, parseJsonBody } from "@/lib/api/handler";
import { deployModel, getEndpoint, undeployModel, updateDeploymentSettings } from "@/lib/serving/deployments";
import { updateDeploymentSchema } from "@/lib/serving/schemas";

type Params = { name: string };

export const GET = apiRoute<Params>(async ({ params }) => getEndpoint(params.name), { permission: "models.read" });

/** Deploy (or switch back on); the body may set settings, and may be empty. */
export const POST = apiRoute<Params>(
  async ({ req, params, actor }) =>
    deployModel(params.name, await parseJsonBody(req, updateDeploymentSchema), actor.name),
  { permission: "endpoints.deploy" },
);

export const PATCH = apiRoute<Params>(
  async ({ req, params }) => updateDeploymentSettings(params.name, await parseJsonBody(req, updateDeploymentSchema)),
  { permission: "endpoints.deploy" },
);

/** Undeploy: the settings are kept, and later promotions leave the endpoint off until the next Deploy. */
export const DELETE = apiRoute<Params>(async ({ params }) => undeployModel(params.name), {
  permission: "endpoints.deploy",
});
