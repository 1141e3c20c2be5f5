import { apiRoute, parseQuery } from "@/lib/api/handler";
import { listJobs, listJobsQuerySchema } from "@/lib/registry";

export const GET = apiRoute(async ({ req }) => listJobs(parseQuery(req, listJobsQuerySchema)), {
  permission: "jobs.read",
});
