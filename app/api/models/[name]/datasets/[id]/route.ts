import { apiRoute, parseJsonBody } from "@/lib/api/handler";
import { deleteDataset, getDataset, updateDataset, updateDatasetSchema } from "@/lib/datasets";

/** `id` is the dataset's id; its name works too. */
type Params = { name: string; id: string };

export const GET = apiRoute<Params>(async ({ params }) => getDataset(params.name, params.id), {
  permission: "models.read",
});

export const PATCH = apiRoute<Params>(
  async ({ req, params }) => updateDataset(params.name, params.id, await parseJsonBody(req, updateDatasetSchema)),
  { permission: "models.write" },
);

export const DELETE = apiRoute<Params>(
  async ({ params }) => {
    await deleteDataset(params.name, params.id);
    return new Response(null, { status: 204 });
  },
  { permission: "models.write" },
);
