import { afterAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { randomMlp } from "@/lib/onnx";
import { versionSummarySchema } from "@/lib/registry/schemas";
import { ensureRedis, type RunningService } from "@/scripts/lib/services";
import { appProcessesForFile, startWorkerProcess, type AppProcess, testFileEnv } from "../fixtures/processes";
import { createModel, uploadBytes, waitForValidation } from "../fixtures/registry";
import { waitUntil } from "../fixtures/serving";

/**
 * A worker killed (SIGKILL) in the middle of a validation: the version still ends READY, whether
 * the next worker finds the job in the same Redis or in one that lost everything.
 */
appProcessesForFile();

// About 84 MB of weights: loading it takes the validation child a few seconds, so the kill lands
// while it runs.
const SLOW_MODEL = randomMlp([1024, 4096, 4096, 10], 7);

function workerEnv(redisUrl = config().REDIS_URL): Record<string, string> {
  return {
    ...testFileEnv(),
    REDIS_URL: redisUrl,
    // A killed worker's job is taken over after about this long.
    WORKER_LOCK_MS: "2000",
  };
}

/** Uploads the slow model and kills the worker once its validation has started. */
async function killWorkerMidValidation(worker: AppProcess) {
  const model = await createModel();
  const response = await uploadBytes(model.name, SLOW_MODEL, "slow.onnx");
  expect(response.status).toBe(202);
  const version = versionSummarySchema.parse(await response.json());
  const job = await waitUntil(
    async () => (await db().job.findFirst({ where: { versionId: version.id, state: "RUNNING" } })) ?? undefined,
    "the validation to start",
    60_000,
  );
  await worker.kill();
  const afterKill = await db().modelVersion.findUniqueOrThrow({ where: { id: version.id } });
  expect(afterKill.status, "validation finished before the kill; use a slower model").toBe("PENDING");
  return { model, version, jobId: job.id };
}

async function expectReadyAfterSecondAttempt(modelName: string, version: number, jobId: string) {
  const detail = await waitForValidation(modelName, version, 60_000);
  expect(detail.status, detail.statusMessage ?? "").toBe("READY");
  const job = await db().job.findUniqueOrThrow({ where: { id: jobId } });
  expect(job.state).toBe("SUCCEEDED");
  expect(job.attempts, "the job ran again after the kill").toBe(2);
}

describe("a worker killed mid-validation", () => {
  it("with the same Redis: the next worker takes the job over and the version ends READY", async () => {
    const first = await startWorkerProcess(workerEnv());
    const { model, version, jobId } = await killWorkerMidValidation(first);
    const second = await startWorkerProcess(workerEnv());
    await expectReadyAfterSecondAttempt(model.name, version.version, jobId);
    await second.stop();
  }, 180_000);

  describe("with a Redis that lost everything meanwhile", () => {
    let freshRedis: RunningService | undefined;
    afterAll(async () => freshRedis?.stop());

    it("the next worker's sweep sends the job again and the version ends READY", async () => {
      const first = await startWorkerProcess(workerEnv());
      const { model, version, jobId } = await killWorkerMidValidation(first);
      // A second redis-server of our own: the job row exists, BullMQ knows nothing of it.
      freshRedis = await ensureRedis({});
      const second = await startWorkerProcess(workerEnv(freshRedis.url));
      await expectReadyAfterSecondAttempt(model.name, version.version, jobId);
      await second.stop();
    }, 180_000);
  });
});
