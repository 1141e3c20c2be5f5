import { apiRoute, parseJsonBody, parseVersionParam } from "@/lib/api/handler";
import { deleteVersion, getVersion, updateVersion, updateVersionSchema } from "@/lib/registry";

type Params = { name: string; version: string };

export const GET = apiRoute<Params>(async ({ params }) => getVersion(params.name, parseVersionParam(params.version)), {
  permission: "models.read",
});

export const PATCH = apiRoute<Params>(
  async ({ req, params }) =>
    updateVersion(params.name, parseVersionParam(params.version), await parseJsonBody(req, updateVersionSchema)),
  { permission: "versions.write" },
);

export const DELETE = apiRoute<Params>(
  async ({ params }) => {
    await deleteVersion(params.name, parseVersionParam(params.version));
    return new Response(null, { status: 204 });
  },
  { permission: "versions.delete" },
);
