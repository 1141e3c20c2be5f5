import type { Db } from "@/lib/db";
import { jobPayloadSchemas, QueueName, sendToQueue, type JobPayload } from "@/lib/jobs";
import type { Logger } from "@/lib/log";

/**
 * Job rows are written before their BullMQ job is sent. If Redis was away at that moment the row
 * stays QUEUED with no job; this sweep sends such rows again (same job id, so never twice).
 */
const KIND_TO_QUEUE = { VALIDATE: QueueName.Validate, EVALUATE: QueueName.Evaluate } as const;

export async function resendQueuedJobs(database: Db, logger: Logger, olderThanMs = 10_000): Promise<number> {
  const rows = await database.job.findMany({
    where: {
      state: "QUEUED",
      createdAt: { lt: new Date(Date.now() - olderThanMs) },
      kind: { in: Object.keys(KIND_TO_QUEUE) as (keyof typeof KIND_TO_QUEUE)[] },
    },
    select: { id: true, kind: true, versionId: true, payload: true },
    take: 500,
  });
  let sent = 0;
  for (const row of rows) {
    const queue = KIND_TO_QUEUE[row.kind as keyof typeof KIND_TO_QUEUE];
    // The row keeps what the queue payload needs besides the ids it already has.
    const payload = jobPayloadSchemas[queue].safeParse({
      ...(row.payload as object),
      jobId: row.id,
      versionId: row.versionId,
    });
    if (!payload.success) {
      logger.warn({ jobId: row.id, kind: row.kind }, "queued job row cannot be re-sent: its payload is incomplete");
      continue;
    }
    if (await sendToQueue(queue, payload.data as JobPayload<typeof queue>)) sent += 1;
  }
  if (sent > 0) logger.info({ sent }, "re-sent queued jobs");
  return sent;
}
