import { apiRoute, parseJobParam } from "@/lib/api/handler";
import { getJob } from "@/lib/registry";

export const GET = apiRoute<{ id: string }>(async ({ params }) => getJob(parseJobParam(params.id)), {
  permission: "jobs.read",
});
