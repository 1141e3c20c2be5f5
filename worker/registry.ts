import { UnrecoverableError, Worker, type Job as BullJob } from "bullmq";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db";
import { createRedis, jobPayloadSchemas, type JobPayload, type QueueName } from "@/lib/jobs";
import type { Logger } from "@/lib/log";

/**
 * Starts one BullMQ worker per queue. Registration is generic over the queue map, so a processor
 * can only receive its own queue's payload, and every payload is checked before it runs.
 */
export interface ProcessorDeps {
  database: Db;
  log: Logger;
}

export type Processor<Q extends QueueName> = (
  payload: JobPayload<Q>,
  job: BullJob,
  deps: ProcessorDeps,
) => Promise<void>;

export function startQueueWorker<Q extends QueueName>(
  queue: Q,
  processor: Processor<Q>,
  options: { concurrency: number; deps: ProcessorDeps },
): Worker {
  const logger = options.deps.log.child({ queue });
  const connection = createRedis();
  const worker = new Worker(
    queue,
    async (job) => {
      const parsed = jobPayloadSchemas[queue].safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid ${queue} payload: ${parsed.error.message}`);
      await processor(parsed.data as JobPayload<Q>, job, { ...options.deps, log: logger });
    },
    {
      connection,
      prefix: config().REDIS_PREFIX,
      concurrency: options.concurrency,
      // Long work happens in children and worker threads, so the lock is renewed on time; a worker
      // that dies loses its jobs to another one after about one lock duration.
      lockDuration: config().WORKER_LOCK_MS,
      stalledInterval: config().WORKER_LOCK_MS,
    },
  );
  worker.on("error", (error) => logger.error({ err: error }, "worker error"));
  worker.on("failed", (job, error) => logger.warn({ jobId: job?.id, err: error.message }, "job attempt failed"));
  worker.on("stalled", (jobId) => logger.warn({ jobId }, "job stalled; it will be retried"));
  // BullMQ leaves connections it was handed open on close(); this one is ours alone.
  worker.on("closed", () => connection.disconnect());
  return worker;
}
