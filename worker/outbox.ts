import type { Db, JobKind } from "@/lib/db";
import {
  getQueue,
  JOB_OPTIONS,
  jobPayloadSchemas,
  publicErrorMessage,
  QueueName,
  sendToQueue,
  type JobPayload,
} from "@/lib/jobs";
import type { Logger } from "@/lib/log";
import { endUnfinishedJob } from "@/lib/registry/jobs";

/**
 * The job rows are the truth; Redis only carries them to a worker. A row that has not finished
 * needs a live BullMQ job, and this sweep gives it one again when it has none: the row was written
 * while Redis was away, Redis lost its data (restarted without persistence, flushed, evicted), or
 * BullMQ gave the job up without the row knowing (it stalled too often when its workers were
 * killed). The same job id is used, so two sweeps never make two jobs. A row that has started
 * as many times as a job may be attempted is not sent again: it is failed with the reason.
 */
const KIND_TO_QUEUE = { VALIDATE: QueueName.Validate, EVALUATE: QueueName.Evaluate } as const;
const RECOVERABLE_KINDS = Object.keys(KIND_TO_QUEUE) as (keyof typeof KIND_TO_QUEUE)[];

/** BullMQ states in which a job will still be delivered to a worker. */
const LIVE_STATES = new Set(["waiting", "active", "delayed", "prioritized", "waiting-children"]);

export interface RecoveredJobs {
  /** Rows whose lost BullMQ job was sent again. */
  resent: number;
  /** Rows that had used up their attempts and were failed. */
  failed: number;
  /** PENDING versions whose validation had ended without saying so (left by older releases). */
  versions?: number;
}

const ORPHANED_VERSION_MESSAGE = "validation ended without a result; upload the file again";

export async function recoverLostJobs(
  database: Db,
  logger: Logger,
  { queuedGraceMs = 10_000 }: { queuedGraceMs?: number } = {},
): Promise<RecoveredJobs> {
  const rows = await database.job.findMany({
    where: {
      kind: { in: RECOVERABLE_KINDS },
      OR: [
        // A RUNNING row always has its job in BullMQ (active, or waiting again after a stall).
        { state: "RUNNING" },
        // A new row is sent right after its commit; give the web app time to do so.
        { state: "QUEUED", createdAt: { lt: new Date(Date.now() - queuedGraceMs) } },
      ],
    },
    select: { id: true, kind: true, state: true, attempts: true, versionId: true, payload: true },
    orderBy: { createdAt: "asc" },
    take: 500,
  });
  const recovered: RecoveredJobs = { resent: 0, failed: 0 };
  for (const row of rows) {
    const queue = KIND_TO_QUEUE[row.kind as keyof typeof KIND_TO_QUEUE];
    const existing = await getQueue(queue).getJob(row.id);
    const state = existing ? await existing.getState() : "missing";
    if (LIVE_STATES.has(state)) continue;
    const lost = { jobId: row.id, kind: row.kind, rowState: row.state, queueState: state };
    // The row keeps what the queue payload needs besides the ids it already has.
    const payload = jobPayloadSchemas[queue].safeParse({
      ...(row.payload as object),
      jobId: row.id,
      versionId: row.versionId,
    });
    const reason = !payload.success
      ? "the job's record is incomplete, so it cannot be run again"
      : row.attempts >= JOB_OPTIONS.attempts
        ? gaveUpReason(row.kind, row.attempts, existing?.failedReason)
        : undefined;
    if (reason) {
      if (await database.$transaction((tx) => endUnfinishedJob(tx, row.id, { state: "FAILED", reason }))) {
        recovered.failed += 1;
        logger.warn({ ...lost, reason }, "job had no live queue entry and cannot run again; failed");
      }
      continue;
    }
    const sent =
      existing && (state === "completed" || state === "failed")
        ? // The id is taken, so the job goes back to waiting rather than being added again; this
          // fails harmlessly when another sweep moved it first.
          await existing.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
            () => true,
            () => false,
          )
        : await sendToQueue(queue, payload.data as JobPayload<typeof queue>);
    if (sent) {
      recovered.resent += 1;
      logger.info(lost, "job had no live queue entry; sent again");
    }
  }
  const orphaned = await failOrphanedVersions(database, queuedGraceMs);
  if (orphaned > 0) {
    recovered.versions = orphaned;
    logger.warn({ versions: orphaned }, "PENDING versions with no unfinished validation job were failed");
  }
  return recovered;
}

/** A PENDING version whose validation jobs have all ended will never leave PENDING by itself. */
async function failOrphanedVersions(database: Db, graceMs: number): Promise<number> {
  const { count } = await database.modelVersion.updateMany({
    where: {
      status: "PENDING",
      createdAt: { lt: new Date(Date.now() - graceMs) },
      AND: [
        { jobs: { some: { kind: "VALIDATE" } } },
        { jobs: { none: { kind: "VALIDATE", state: { in: ["QUEUED", "RUNNING"] } } } },
      ],
    },
    data: { status: "FAILED", statusMessage: ORPHANED_VERSION_MESSAGE },
  });
  return count;
}

function gaveUpReason(kind: JobKind, attempts: number, lastFailure: string | undefined): string {
  const what = kind === "VALIDATE" ? "the validation" : "the job";
  const why = lastFailure ? `; the last one ended with: ${publicErrorMessage(lastFailure)}` : "";
  return `${what} was started ${attempts} times without finishing (its worker stopped or lost its queue)${why}`;
}
