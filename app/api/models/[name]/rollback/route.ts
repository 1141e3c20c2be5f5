import { apiRoute, parseJsonBody } from "@/lib/api/handler";
import { rollback, rollbackSchema } from "@/lib/registry";

type Params = { name: string };

export const POST = apiRoute<Params>(
  async ({ req, params, actor }) =>
    rollback(params.name, (await parseJsonBody(req, rollbackSchema)).comment, actor.name),
  { permission: "versions.promote" },
);
