import { z } from "zod";
import { apiRoute } from "@/lib/api/handler";
import { AppError } from "@/lib/errors";
import { getJob } from "@/lib/registry";

export const GET = apiRoute<{ id: string }>(
  async ({ params }) => {
    if (!z.uuid().safeParse(params.id).success) throw new AppError("not_found", `job '${params.id}' was not found`);
    return getJob(params.id);
  },
  { permission: "jobs.read" },
);
