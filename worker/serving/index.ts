import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { log as rootLog } from "@/lib/log";
import { startReplica } from "./replica";

/**
 * A serving replica process (`npm run serve`). Run as many as you like, on one machine or many, behind
 * any load balancer: each reads the desired deployments itself and reports its own state.
 */
const log = rootLog.child({ process: "serving" });
const settings = config();

const replica = await startReplica({
  database: db(),
  log,
  host: settings.SERVING_HOST,
  port: settings.SERVING_PORT,
  publicUrl: settings.SERVING_PUBLIC_URL,
  intraOpThreads: settings.SERVING_INTRA_OP_THREADS,
  maxBodyBytes: settings.SERVING_MAX_BODY_BYTES,
  maxRequestTensorBytes: settings.MAX_REQUEST_TENSOR_BYTES,
  sessionHeapMb: settings.SERVING_SESSION_HEAP_MB,
  sessionIsolation: settings.SERVING_SESSION_ISOLATION,
  syncIntervalMs: settings.SERVING_SYNC_INTERVAL_MS,
  metricsFlushMs: settings.SERVING_METRICS_FLUSH_MS,
  predictionsFlushMs: settings.SERVING_PREDICTIONS_FLUSH_MS,
}).catch((error: unknown) => {
  log.fatal({ err: error }, "serving replica could not start");
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "serving replica stopping; finishing requests in flight");
  await replica.close();
  await db().$disconnect();
  log.info("serving replica stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
