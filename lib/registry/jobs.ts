import { db as defaultDb, type Db, type JobState, type Prisma } from "@/lib/db";
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

/** What the job row records when it ends without success. */
export interface UnfinishedEnd {
  state: "FAILED" | "CANCELLED";
  reason: string;
  result?: Prisma.InputJsonValue;
}

/**
 * Ends a job that will not run again, if it is still in one of the `from` states, together with what
 * it leaves behind: the version a validation job was checking is marked FAILED with the same reason,
 * so no version stays PENDING without a live job. Returns false when the job had already ended.
 * Call it inside the transaction that owns the change.
 */
export async function endUnfinishedJob(
  tx: Prisma.TransactionClient,
  id: string,
  end: UnfinishedEnd,
  from: JobState[] = ["QUEUED", "RUNNING"],
): Promise<boolean> {
  const { count } = await tx.job.updateMany({
    where: { id, state: { in: from } },
    data: {
      state: end.state,
      finishedAt: new Date(),
      // A cancelled job is not an error; the version says why it was not validated.
      ...(end.state === "FAILED" ? { error: end.reason } : {}),
      ...(end.result !== undefined ? { result: end.result } : {}),
    },
  });
  if (count === 0) return false;
  const job = await tx.job.findUniqueOrThrow({ where: { id }, select: { kind: true, versionId: true } });
  if (job.kind === "VALIDATE" && job.versionId) {
    await tx.modelVersion.updateMany({
      where: { id: job.versionId, status: "PENDING" },
      data: { status: "FAILED", statusMessage: end.reason },
    });
  }
  return true;
}

/**
 * Marks a queued or running job CANCELLED. A queued job is then acknowledged without work; a running
 * one stops at its next checkpoint (long jobs check between chunks), and its result is not kept.
 */
export async function cancelJob(id: string, database: Db = defaultDb()): Promise<JobDto> {
  const cancelled = await database.$transaction(async (tx) => {
    const kind = await tx.job.findUnique({ where: { id }, select: { kind: true } });
    if (!kind) throw notFound(`job '${id}'`);
    const reason = kind.kind === "VALIDATE" ? "validation was cancelled" : "the job was cancelled";
    return endUnfinishedJob(tx, id, { state: "CANCELLED", reason });
  });
  if (!cancelled) {
    const row = await database.job.findUniqueOrThrow({ where: { id }, select: { state: true } });
    throw new AppError("conflict", `the job has already finished (${row.state.toLowerCase()})`);
  }
  return getJob(id, database);
}
