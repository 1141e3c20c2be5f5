import { z } from "zod";

/**
 * The contract between the web app (producer) and the worker (consumer): queue names, one payload
 * schema per queue, and the map from name to payload type. Nothing else defines a queue.
 */
export const QueueName = {
  Validate: "validate",
  Evaluate: "evaluate",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const jobPayloadSchemas = {
  [QueueName.Validate]: z.object({ jobId: z.uuid(), versionId: z.uuid() }),
  [QueueName.Evaluate]: z.object({ jobId: z.uuid(), evaluationId: z.uuid() }),
} satisfies Record<QueueName, z.ZodType>;

export type JobPayload<Q extends QueueName> = z.infer<(typeof jobPayloadSchemas)[Q]>;

/** The Job row kind recorded for each queue (the dashboard's view of a BullMQ job). */
export const queueJobKind = {
  [QueueName.Validate]: "VALIDATE",
  [QueueName.Evaluate]: "EVALUATE",
} as const satisfies Record<QueueName, "VALIDATE" | "CONVERT" | "COMPRESS" | "EVALUATE">;
