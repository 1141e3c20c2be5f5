import { UnrecoverableError, type Job as BullJob } from "bullmq";
import type { Db, Prisma } from "@/lib/db";
import { AppError } from "@/lib/errors";
import type { Logger } from "@/lib/log";

/** Writes a job makes to other tables, committed in the same transaction as the job row's final state. */
export type JobEffect = (tx: Prisma.TransactionClient) => Promise<unknown>;

/**
 * The life of a job row around one BullMQ attempt: QUEUED -> RUNNING -> SUCCEEDED / FAILED.
 * A `JobFailure` (or AppError) is the user's problem: the row is marked FAILED with its message and
 * BullMQ stops retrying. Anything else is ours: it is rethrown so BullMQ retries, and only the last
 * attempt marks the row FAILED.
 */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly options: { result?: Prisma.InputJsonValue; effect?: JobEffect } = {},
  ) {
    super(message);
    this.name = "JobFailure";
  }
}

/** What a finished attempt produced: the job's result, and its writes to commit with it. */
export interface JobOutcome {
  result: Prisma.InputJsonValue;
  effect?: JobEffect;
  /** The job stopped because a person cancelled it. */
  cancelled?: boolean;
}

export interface JobContext {
  jobId: string;
  reportProgress(fraction: number): Promise<void>;
  /** True once someone cancelled the job; long jobs check it between chunks. */
  isCancelled(): Promise<boolean>;
  log: Logger;
}

const isFinalAttempt = (job: BullJob) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

export async function runTrackedJob(
  database: Db,
  bullJob: BullJob,
  jobId: string,
  logger: Logger,
  work: (context: JobContext) => Promise<JobOutcome>,
): Promise<void> {
  const row = await database.job.findUnique({ where: { id: jobId } });
  if (!row) {
    logger.warn({ jobId }, "job row is gone; acknowledging without work");
    return;
  }
  if (row.state === "SUCCEEDED" || row.state === "FAILED" || row.state === "CANCELLED") {
    logger.info({ jobId, state: row.state }, "job already finished; acknowledging delivery again");
    return;
  }
  await database.job.update({
    where: { id: jobId },
    data: { state: "RUNNING", startedAt: new Date(), attempts: { increment: 1 }, error: null },
  });
  const context: JobContext = {
    jobId,
    log: logger.child({ jobId }),
    async isCancelled() {
      const current = await database.job.findUnique({ where: { id: jobId }, select: { state: true } });
      return current?.state === "CANCELLED";
    },
    async reportProgress(fraction) {
      const progress = Math.max(0, Math.min(1, fraction));
      await Promise.all([
        database.job.update({ where: { id: jobId }, data: { progress } }),
        bullJob.updateProgress(progress * 100),
      ]);
    },
  };
  // Readers never see a finished version with a running job, or the reverse.
  const finish = (data: Prisma.JobUpdateInput, effect?: JobEffect) =>
    database.$transaction(async (tx) => {
      if (effect) await effect(tx);
      await tx.job.update({ where: { id: jobId }, data: { ...data, finishedAt: new Date() } });
    });
  let outcome: JobOutcome;
  try {
    outcome = await work(context);
  } catch (error) {
    if (error instanceof JobFailure || error instanceof AppError) {
      const { result, effect } = error instanceof JobFailure ? error.options : {};
      await finish({ state: "FAILED", error: error.message, ...(result !== undefined ? { result } : {}) }, effect);
      throw new UnrecoverableError(error.message);
    }
    context.log.error({ err: error, attempt: bullJob.attemptsMade + 1 }, "job attempt failed");
    if (isFinalAttempt(bullJob)) {
      await finish({ state: "FAILED", error: "the job failed after several attempts; see the worker log" });
    } else {
      await database.job.update({
        where: { id: jobId },
        data: { state: "QUEUED", error: `attempt ${bullJob.attemptsMade + 1} failed; retrying` },
      });
    }
    throw error;
  }
  await finish(
    outcome.cancelled
      ? { state: "CANCELLED", result: outcome.result }
      : { state: "SUCCEEDED", progress: 1, result: outcome.result },
    outcome.effect,
  );
}
