import type { Worker } from "bullmq";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { closeQueues, QueueName } from "@/lib/jobs";
import { log as rootLog } from "@/lib/log";
import { processEvaluate } from "./jobs/evaluate";
import { processValidate } from "./jobs/validate";
import { runMaintenance } from "./maintenance";
import { recoverLostJobs } from "./outbox";
import { startQueueWorker } from "./registry";

/** The worker process: runs every queue's processor and shuts down gracefully on SIGTERM/SIGINT. */
const log = rootLog.child({ process: "worker" });
const settings = config();
const deps = { database: db(), log };

const workers: Worker[] = [
  startQueueWorker(QueueName.Validate, processValidate, { concurrency: settings.WORKER_CONCURRENCY, deps }),
  // Evaluations use every core for onnxruntime already; one at a time per worker process.
  startQueueWorker(QueueName.Evaluate, processEvaluate, { concurrency: 1, deps }),
];

// Unfinished job rows whose queue entry is gone (Redis restarted empty, or the row was written while
// it was away) are sent again: at start-up, then every half minute.
const sweep = () =>
  recoverLostJobs(deps.database, log).catch((error: unknown) => log.warn({ err: error }, "job recovery sweep failed"));
void sweep();
const sweepTimer = setInterval(sweep, 30_000);
sweepTimer.unref();

const maintain = () =>
  runMaintenance(deps.database, log).catch((error: unknown) => log.warn({ err: error }, "maintenance failed"));
const maintenanceTimer = setInterval(maintain, 60_000);
maintenanceTimer.unref();

log.info({ queues: workers.map((worker) => worker.name), concurrency: settings.WORKER_CONCURRENCY }, "worker started");

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "worker stopping; letting running jobs finish");
  clearInterval(sweepTimer);
  clearInterval(maintenanceTimer);
  await Promise.all(workers.map((worker) => worker.close()));
  await closeQueues();
  await deps.database.$disconnect();
  log.info("worker stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
