import { db as defaultDb, type Db, type Prisma } from "@/lib/db";
import { AppError, notFound } from "@/lib/errors";
import { toJobDto } from "./dto";
import type { JobDto, ListJobsQuery, Page } from "./schemas";

const jobInclude = { version: { include: { model: { select: { name: true } } } } } as const;

export async function listJobs(query: ListJobsQuery, database: Db = defaultDb()): Promise<Page<JobDto>> {
  const where: Prisma.JobWhereInput = {
    ...(query.state ? { state: query.state } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.modelName ? { version: { model: { name: query.modelName } } } : {}),
  };
  const [total, rows] = await Promise.all([
    database.job.count({ where }),
    database.job.findMany({
      where,
      include: jobInclude,
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    }),
  ]);
  return { items: rows.map(toJobDto), page: query.page, pageSize: query.pageSize, total };
}

export async function getJob(id: string, database: Db = defaultDb()): Promise<JobDto> {
  const row = await database.job.findUnique({ where: { id }, include: jobInclude });
  if (!row) throw notFound(`job '${id}'`);
  return toJobDto(row);
}

/**
 * Marks a queued or running job CANCELLED. A queued job is then acknowledged without work; a running
 * one stops at its next checkpoint (long jobs check between chunks).
 */
export async function cancelJob(id: string, database: Db = defaultDb()): Promise<JobDto> {
  const { count } = await database.job.updateMany({
    where: { id, state: { in: ["QUEUED", "RUNNING"] } },
    data: { state: "CANCELLED", finishedAt: new Date() },
  });
  if (count === 0) {
    const row = await database.job.findUnique({ where: { id }, select: { state: true } });
    if (!row) throw notFound(`job '${id}'`);
    throw new AppError("conflict", `the job has already finished (${row.state.toLowerCase()})`);
  }
  return getJob(id, database);
}
