import { apiRoute, parseJobParam } from "@/lib/api/handler";
import { cancelJob } from "@/lib/registry";

export const POST = apiRoute<{ id: string }>(async ({ params }) => cancelJob(parseJobParam(params.id)), {
  permission: "jobs.cancel",
});
