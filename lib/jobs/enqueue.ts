import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { config } from "@/lib/config";
import { log } from "@/lib/log";
import { createRedis } from "./redis";
import { jobPayloadSchemas, type JobPayload, type QueueName } from "./queues";

const globalQueues = globalThis as unknown as {
  modelyardQueues?: Map<QueueName, Queue>;
  modelyardQueueConnections?: Map<QueueName, Redis>;
};

export function getQueue(name: QueueName): Queue {
  globalQueues.modelyardQueues ??= new Map();
  let queue = globalQueues.modelyardQueues.get(name);
  if (!queue) {
    // Producers fail fast instead of queueing commands while Redis is away; the outbox sweep re-sends.
    const connection = createRedis({ maxRetriesPerRequest: 1 });
    queue = new Queue(name, { connection, prefix: config().REDIS_PREFIX });
    globalQueues.modelyardQueueConnections ??= new Map();
    globalQueues.modelyardQueueConnections.set(name, connection);
    queue.on("error", (error) => log.warn({ err: error, queue: name }, "queue connection error"));
    globalQueues.modelyardQueues.set(name, queue);
  }
  return queue;
}

export const JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * Hands a job row to its queue. The BullMQ job id is the row id, so sending twice collapses into one
 * job. A failure here is not fatal: the row stays QUEUED and the worker's outbox sweep sends it again.
 */
export async function sendToQueue<Q extends QueueName>(queue: Q, payload: JobPayload<Q>): Promise<boolean> {
  const parsed = jobPayloadSchemas[queue].parse(payload) as JobPayload<Q>;
  try {
    await getQueue(queue).add(queue, parsed, { ...JOB_OPTIONS, jobId: parsed.jobId });
    return true;
  } catch (error) {
    log.warn({ err: error, queue, jobId: parsed.jobId }, "could not enqueue job; it will be re-sent by the worker");
    return false;
  }
}

export async function closeQueues(): Promise<void> {
  const queues = [...(globalQueues.modelyardQueues?.values() ?? [])];
  const connections = [...(globalQueues.modelyardQueueConnections?.values() ?? [])];
  globalQueues.modelyardQueues?.clear();
  globalQueues.modelyardQueueConnections?.clear();
  await Promise.all(queues.map((queue) => queue.close()));
  // BullMQ leaves connections it was handed open on close().
  for (const connection of connections) connection.disconnect();
}
