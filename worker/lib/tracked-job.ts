import { UnrecoverableError, type Job as BullJob } from "bullmq";
import type { Db, JobState, Prisma } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { publicErrorMessage } from "@/lib/jobs/public-error";
import type { Logger } from "@/lib/log";
import { endUnfinishedJob } from "@/lib/registry/jobs";

/** Writes a job makes to other tables, committed in the same transaction as the job row's final state. */
export type JobEffect = (tx: Prisma.TransactionClient) => Promise<unknown>;

/**
 * The life of a job row around one BullMQ attempt: QUEUED -> RUNNING -> SUCCEEDED / FAILED.
 * A `JobFailure` (or AppError) is the user's problem: the row is marked FAILED with its message and
 * BullMQ stops retrying. Anything else is ours: it is rethrown so BullMQ retries, and only the last
 * attempt marks the row (and a version it validates) FAILED, with the last error made safe to show.
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
  /**
   * Undoes what the attempt made outside the database (a file it stored) when its result is dropped
   * because the job was cancelled meanwhile, so nothing is left that no row points to.
   */
  discard?: () => Promise<unknown>;
}

export interface JobContext {
  jobId: string;
  reportProgress(fraction: number): Promise<void>;
  /** True once someone cancelled the job; long jobs check it between chunks. */
  isCancelled(): Promise<boolean>;
  log: Logger;
}

const isFinalAttempt = (job: BullJob) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** What the row and its version say when every attempt failed: the last error, made safe to show. */
export function gaveUpReason(attempts: number, error: unknown): string {
  return `the job gave up after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}: ${publicErrorMessage(error)}`;
}

export async function runTrackedJob(
  database: Db,
  bullJob: BullJob,
  jobId: string,
  logger: Logger,
  work: (context: JobContext) => Promise<JobOutcome>,
): Promise<void> {
  // Only a job that has not finished (nor been cancelled) starts; a repeated delivery is acknowledged.
  const { count: started } = await database.job.updateMany({
    where: { id: jobId, state: { in: ["QUEUED", "RUNNING"] } },
    data: { state: "RUNNING", startedAt: new Date(), attempts: { increment: 1 }, error: null },
  });
  if (started === 0) {
    const row = await database.job.findUnique({ where: { id: jobId }, select: { state: true } });
    if (!row) logger.warn({ jobId }, "job row is gone; acknowledging without work");
    else logger.info({ jobId, state: row.state }, "job already finished; acknowledging delivery again");
    return;
  }
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
  /**
   * Readers never see a finished version with a running job, or the reverse. A row that left
   * RUNNING meanwhile (cancelled) keeps its state, and the attempt's effects are dropped with it.
   */
  const finish = (from: JobState, data: Prisma.JobUpdateManyMutationInput, effect?: JobEffect) =>
    database.$transaction(async (tx) => {
      const { count } = await tx.job.updateMany({
        where: { id: jobId, state: from },
        data: { ...data, finishedAt: new Date() },
      });
      if (count > 0 && effect) await effect(tx);
      return count > 0;
    });
  let outcome: JobOutcome;
  try {
    outcome = await work(context);
  } catch (error) {
    if (error instanceof JobFailure || error instanceof AppError) {
      const { result, effect } = error instanceof JobFailure ? error.options : {};
      await database.$transaction(async (tx) => {
        const ended = await endUnfinishedJob(tx, jobId, { state: "FAILED", reason: error.message, result }, [
          "RUNNING",
        ]);
        if (ended && effect) await effect(tx);
      });
      throw new UnrecoverableError(error.message);
    }
    context.log.error({ err: error, attempt: bullJob.attemptsMade + 1 }, "job attempt failed");
    if (isFinalAttempt(bullJob)) {
      const reason = gaveUpReason(bullJob.attemptsMade + 1, error);
      await database.$transaction((tx) => endUnfinishedJob(tx, jobId, { state: "FAILED", reason }, ["RUNNING"]));
    } else {
      await database.job.updateMany({
        where: { id: jobId, state: "RUNNING" },
        data: {
          state: "QUEUED",
          error: `attempt ${bullJob.attemptsMade + 1} failed (${publicErrorMessage(error)}); retrying`,
        },
      });
    }
    throw error;
  }
  if (outcome.cancelled) {
    await finish("CANCELLED", { result: outcome.result });
    return;
  }
  const kept = await finish("RUNNING", { state: "SUCCEEDED", progress: 1, result: outcome.result }, outcome.effect);
  if (!kept) await outcome.discard?.();
}
