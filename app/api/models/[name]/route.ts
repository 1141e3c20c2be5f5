import { apiRoute, parseJsonBody } from "@/lib/api/handler";
import { deleteModel, getModel, updateModel, updateModelSchema } from "@/lib/registry";

type Params = { name: string };

export const GET = apiRoute<Params>(async ({ params }) => getModel(params.name), { permission: "models.read" });

export const PATCH = apiRoute<Params>(
  async ({ req, params }) => updateModel(params.name, await parseJsonBody(req, updateModelSchema)),
  { permission: "models.write" },
);

export const DELETE = apiRoute<Params>(
  async ({ params }) => {
    await deleteModel(params.name);
    return new Response(null, { status: 204 });
  },
  { permission: "versions.delete" },
);
