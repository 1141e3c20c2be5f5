import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { log } from "@/lib/log";
import { writeBuckets } from "@/lib/serving/metric-store";
import { writePredictionLogs } from "@/lib/serving/prediction-store";
import { runMaintenance } from "@/worker/maintenance";

describe("worker maintenance", () => {
  it("rolls old endpoint metrics up and forgets replicas silent for a day", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3600_000);
    const replica = (id: string, heartbeatAt: Date) => ({
      id,
      url: "http://replica:8501",
      hostname: "replica",
      pid: 1,
      startedAt: heartbeatAt,
      heartbeatAt,
    });
    await db().servingReplica.createMany({ data: [replica("gone", hoursAgo(25)), replica("alive", hoursAgo(0))] });
    const versionId = randomUUID();
    const bucket = (start: Date) => ({
      modelId: randomUUID(),
      versionId,
      version: 1,
      replicaId: "alive",
      resolutionSeconds: 10,
      bucketStart: start,
      requests: 3,
      errors: 0,
      latency: { "100": 3 },
      queueMsSum: 0,
      computeMsSum: 1,
      batchSizes: { "1": 3 },
      lastRequestAt: start,
    });
    // Six 10-second buckets of one minute three hours ago, and one from just now.
    const old = Array.from({ length: 6 }, (_, index) => bucket(new Date(hoursAgo(3).getTime() + index * 10_000)));
    await writeBuckets(db(), [...old, bucket(hoursAgo(0))]);

    await runMaintenance(db(), log, now);

    expect((await db().servingReplica.findMany()).map((row) => row.id)).toEqual(["alive"]);
    const rows = await db().endpointMetricBucket.findMany({ where: { versionId }, orderBy: { bucketStart: "asc" } });
    expect(rows.map((row) => [row.resolutionSeconds, row.requests])).toEqual([
      [60, 18],
      [10, 3],
    ]);
  });

  it("deletes logged predictions older than the retention, and only those", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
    const modelId = randomUUID();
    const logged = (requestId: string, createdAt: Date) => ({
      requestId,
      modelId,
      versionId: randomUUID(),
      version: 1,
      row: 0,
      predicted: 1,
      confidence: 0.9,
      createdAt,
    });
    await writePredictionLogs(db(), [
      logged("expired", daysAgo(31)),
      logged("just-kept", daysAgo(29)),
      logged("new", daysAgo(0)),
    ]);

    await runMaintenance(db(), log, now, 30);

    const kept = await db().predictionLog.findMany({ where: { modelId }, orderBy: { createdAt: "asc" } });
    expect(kept.map((row) => row.requestId)).toEqual(["just-kept", "new"]);
  });
});
