import { config } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { Logger } from "@/lib/log";
import { rollupBuckets } from "@/lib/serving/metric-store";
import { prunePredictionLogs } from "@/lib/serving/prediction-store";

/** Replicas silent for this long are gone for good (crashed or scaled down without a goodbye). */
const REPLICA_FORGET_MS = 24 * 3600_000;

/**
 * Housekeeping that keeps serving data bounded: endpoint metrics are rolled up into coarser
 * buckets and expired, logged predictions past their retention are deleted, and long-dead replicas
 * are forgotten. Safe to run from several workers.
 */
export async function runMaintenance(
  database: Db,
  log: Logger,
  now = new Date(),
  predictionRetentionDays = config().PREDICTION_LOG_RETENTION_DAYS,
): Promise<void> {
  const rollup = await rollupBuckets(database, now);
  const { count: forgottenReplicas } = await database.servingReplica.deleteMany({
    where: { heartbeatAt: { lt: new Date(now.getTime() - REPLICA_FORGET_MS) } },
  });
  if (rollup.ran && (rollup.levels.some((level) => level.sourceRows > 0) || rollup.expiredRows > 0)) {
    log.info({ rollup, forgottenReplicas }, "endpoint metrics rolled up");
  }
  const expiredPredictions = await prunePredictionLogs(database, predictionRetentionDays, now);
  if (expiredPredictions > 0) log.info({ expiredPredictions }, "expired logged predictions deleted");
}
