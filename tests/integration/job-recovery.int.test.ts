import { UnrecoverableError, Worker } from "bullmq";
import { describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { createRedis, getQueue, QueueName } from "@/lib/jobs";
import { publicErrorMessage } from "@/lib/jobs/public-error";
import { log } from "@/lib/log";
import { jobDtoSchema, versionSummarySchema } from "@/lib/registry/schemas";
import { runTrackedJob } from "@/worker/lib/tracked-job";
import { recoverLostJobs } from "@/worker/outbox";
import { api } from "../fixtures/api";
import { waitUntil } from "../fixtures/serving";
import { createModel, DIGITS_ONNX, getVersion, uploadBytes } from "../fixtures/registry";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { artifactStore, type StoredArtifact } from "@/lib/artifacts";
import { claimArtifact, releaseArtifact } from "@/lib/registry/artifacts";

/**
 * No worker runs in this file, so every upload's validation job stays where the test puts it:
 * a version is never left PENDING without a live job, and a job that ends says why.
 */
const digits = await readFile(DIGITS_ONNX);

async function pendingVersion() {
  const model = await createModel();
  const response = await uploadBytes(model.name, digits, "digits.onnx");
  expect(response.status).toBe(202);
  const version = versionSummarySchema.parse(await response.json());
  const job = await db().job.findFirstOrThrow({ where: { versionId: version.id } });
  return { model, version, job };
}

const queue = () => getQueue(QueueName.Validate);

describe("cancelling a validation", () => {
  it("fails its version in the same change, and a second cancel is a 409", async () => {
    const { model, version, job } = await pendingVersion();
    const cancelled = await api("POST", `/api/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(jobDtoSchema.parse(await cancelled.json()).state).toBe("CANCELLED");
    const detail = await getVersion(model.name, version.version);
    expect(detail.status).toBe("FAILED");
    expect(detail.statusMessage).toBe("validation was cancelled");
    const again = await api("POST", `/api/jobs/${job.id}/cancel`);
    expect(again.status).toBe(409);
  });
});

describe("a job that gives up", () => {
  it("records the last error in words, without stack or server path, on the job and its version", async () => {
    const { model, version, job } = await pendingVersion();
    const bullJob = (await queue().getJob(job.id))!;
    // The upload queued it with several attempts; this one is the last.
    bullJob.attemptsMade = (bullJob.opts.attempts ?? 1) - 1;
    const failure = new Error(
      `ENOENT: no such file or directory, open '${config().artifactDir}/ab/cdef' (postgresql://app:secret@db/x)`,
    );
    await expect(
      runTrackedJob(db(), bullJob, job.id, log, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const row = await db().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("FAILED");
    expect(row.error).toBe(
      "the job gave up after 5 attempts: ENOENT: no such file or directory, open '(a server path)' (postgresql://***@db/x)",
    );
    expect((await getVersion(model.name, version.version)).statusMessage).toBe(row.error);
  });

  it("keeps a cancel that came while it ran: the attempt's result is dropped", async () => {
    const { model, version, job } = await pendingVersion();
    const bullJob = (await queue().getJob(job.id))!;
    await runTrackedJob(db(), bullJob, job.id, log, async () => {
      await api("POST", `/api/jobs/${job.id}/cancel`);
      return {
        result: { status: "READY" },
        effect: (tx) => tx.modelVersion.update({ where: { id: version.id }, data: { status: "READY" } }),
      };
    });
    expect((await db().job.findUniqueOrThrow({ where: { id: job.id } })).state).toBe("CANCELLED");
    expect((await getVersion(model.name, version.version)).status).toBe("FAILED");
  });

  it("removes the file a dropped attempt stored, so no file is left that no row points to", async () => {
    const { job } = await pendingVersion();
    const bullJob = (await queue().getJob(job.id))!;
    const store = artifactStore();
    let stored: StoredArtifact | undefined;
    await runTrackedJob(db(), bullJob, job.id, log, async () => {
      stored = await store.put(Readable.from([Buffer.from(`predictions of ${job.id}\n`)]), { maxBytes: 1024 });
      await api("POST", `/api/jobs/${job.id}/cancel`);
      return {
        result: {},
        discard: () => releaseArtifact(db(), stored!.sha256),
        effect: (tx) => claimArtifact(tx, stored!),
      };
    });
    expect(await store.exists(stored!.sha256)).toBe(false);
    expect(await db().artifact.count({ where: { sha256: stored!.sha256 } })).toBe(0);
  });
});

describe("prisma errors", () => {
  it("are shown by their reason, not by the code that called", () => {
    const error = new Error(
      "\nInvalid `database.job.update()` invocation in\n/srv/modelyard/lib/x.ts:12:3\n\n  11 x\n→ 12 await db\nRecord to update not found.",
    );
    error.name = "PrismaClientKnownRequestError";
    expect(publicErrorMessage(error)).toBe("Record to update not found.");
  });
});

describe("the recovery sweep", () => {
  it("sends again a RUNNING job whose BullMQ job is gone, and leaves live and fresh ones alone", async () => {
    const lost = await pendingVersion();
    const live = await pendingVersion();
    const fresh = await pendingVersion();
    await db().job.updateMany({ where: { id: { in: [lost.job.id, live.job.id] } }, data: { state: "RUNNING" } });
    await queue().remove(lost.job.id);
    await queue().remove(fresh.job.id);
    const recovered = await recoverLostJobs(db(), log);
    expect(recovered).toEqual({ resent: 1, failed: 0 });
    expect(await (await queue().getJob(lost.job.id))?.getState()).toBe("waiting");
    expect(await queue().getJob(fresh.job.id), "a new QUEUED row is the web app's to send").toBeUndefined();
    const later = await recoverLostJobs(db(), log, { queuedGraceMs: 0 });
    expect(later).toEqual({ resent: 1, failed: 0 });
    expect(await (await queue().getJob(fresh.job.id))?.getState()).toBe("waiting");
  });

  it("retries a job BullMQ failed while its row was still RUNNING", async () => {
    const { job } = await pendingVersion();
    await db().job.update({ where: { id: job.id }, data: { state: "RUNNING", attempts: 2 } });
    // A worker that gives the job up without touching the row, as BullMQ does with a job that stalled too often.
    const connection = createRedis();
    const worker = new Worker(
      QueueName.Validate,
      async () => {
        throw new UnrecoverableError("job stalled more than allowable limit");
      },
      { connection, prefix: config().REDIS_PREFIX },
    );
    await waitUntil(async () => (await (await queue().getJob(job.id))?.getState()) === "failed", "BullMQ to fail it");
    await worker.close();
    connection.disconnect();
    // Earlier tests' jobs went the same way; only this one is looked at.
    await db().job.updateMany({
      where: { id: { not: job.id }, state: { in: ["QUEUED", "RUNNING"] } },
      data: { state: "CANCELLED" },
    });
    expect(await (await queue().getJob(job.id))?.getState()).toBe("failed");
    expect(await recoverLostJobs(db(), log)).toEqual({ resent: 1, failed: 0 });
    expect(await (await queue().getJob(job.id))?.getState()).toBe("waiting");
  });

  it("fails a lost job that has used its attempts, saying why, and its version with it", async () => {
    const { model, version, job } = await pendingVersion();
    await db().job.update({ where: { id: job.id }, data: { state: "RUNNING", attempts: 5 } });
    await queue().remove(job.id);
    expect(await recoverLostJobs(db(), log)).toMatchObject({ failed: 1 });
    const row = await db().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("FAILED");
    expect(row.error).toMatch(/^the validation was started 5 times without finishing/);
    const detail = await getVersion(model.name, version.version);
    expect(detail.status).toBe("FAILED");
    expect(detail.statusMessage).toBe(row.error);
  });

  it("fails a PENDING version whose validation job ended without saying so", async () => {
    const { model, version, job } = await pendingVersion();
    // As an older release left it: the job gave up, the version was never told.
    await db().job.update({ where: { id: job.id }, data: { state: "FAILED", error: "see the worker log" } });
    // Earlier tests ended jobs behind their versions' backs too; this one is looked at.
    expect((await recoverLostJobs(db(), log, { queuedGraceMs: 0 })).versions).toBeGreaterThan(0);
    const detail = await getVersion(model.name, version.version);
    expect(detail.status).toBe("FAILED");
    expect(detail.statusMessage).toBe("validation ended without a result; upload the file again");
  });
});
