import type { Job as BullJob } from "bullmq";
import { artifactStore } from "@/lib/artifacts";
import { config } from "@/lib/config";
import type { Db, Prisma } from "@/lib/db";
import type { JobPayload, QueueName } from "@/lib/jobs";
import type { Logger } from "@/lib/log";
import type { ModelFormat } from "@/lib/onnx";
import { requestTooLarge } from "@/lib/onnx/request-cost";
import { JobFailure, runTrackedJob } from "../lib/tracked-job";
import { inspectModelFile } from "./validate/inspect-in-child";

/**
 * Checks an uploaded file: detects its format by content, loads ONNX models in a child process
 * (a malformed file may crash native code), and records the signature, or why it cannot be used.
 * The version row is written once at the end, with the job's final state, so a worker killed midway leaves it PENDING and the
 * retried job starts over. Running it twice writes the same result.
 */
export async function processValidate(
  payload: JobPayload<typeof QueueName.Validate>,
  bullJob: BullJob,
  deps: { database: Db; log: Logger },
): Promise<void> {
  await runTrackedJob(deps.database, bullJob, payload.jobId, deps.log, async (job) => {
    const version = await deps.database.modelVersion.findUnique({ where: { id: payload.versionId } });
    if (!version) throw new JobFailure("the version was deleted before it could be validated");
    await job.reportProgress(0.1);
    const report = await inspectModelFile(artifactStore().localPath(version.artifactSha256), {
      timeoutMs: config().VALIDATE_TIMEOUT_MS,
      maxOldSpaceMb: config().VALIDATE_MAX_HEAP_MB,
    });
    await job.reportProgress(0.9);
    const failed = (message: string, format: ModelFormat) =>
      new JobFailure(message, {
        result: { status: "FAILED", format },
        effect: (tx) =>
          tx.modelVersion.update({
            where: { id: version.id },
            data: { status: "FAILED", statusMessage: message, format },
          }),
      });
    if (!report.ok) throw failed(report.message, report.format);
    const { inspection } = report;
    // A model whose every request is too big could only fail where it is served, or take serving down.
    const tooLarge = requestTooLarge(inspection, { maxTensorBytes: config().MAX_REQUEST_TENSOR_BYTES });
    if (tooLarge) throw failed(tooLarge, "ONNX");
    const ready = {
      status: "READY",
      statusMessage: null,
      format: "ONNX",
      signature: { inputs: inspection.inputs, outputs: inspection.outputs },
      opset: inspection.opset,
      producer: [inspection.producerName, inspection.producerVersion].filter(Boolean).join(" ") || null,
      parameterCount: BigInt(inspection.parameterCount),
    } satisfies Prisma.ModelVersionUpdateInput;
    return {
      result: {
        status: "READY",
        format: "ONNX",
        inputs: inspection.inputs.length,
        outputs: inspection.outputs.length,
        nodes: inspection.nodeCount,
      },
      effect: (tx) => tx.modelVersion.update({ where: { id: version.id }, data: ready }),
    };
  });
}
