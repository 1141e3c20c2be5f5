import type {
  Artifact,
  Job,
  ModelVersion,
  RegisteredModel,
  StageTransition,
  VersionMetric,
} from "@/lib/db/generated/client";
import type { JobDto, MetricDto, Signature, TransitionDto, VersionSummary } from "./schemas";

/** Maps rows to the API's JSON shapes (BigInt to number, dates to ISO strings). */

type VersionRow = ModelVersion & { model: Pick<RegisteredModel, "name">; artifact?: Artifact };

export function latestMetricValues(
  metrics: Pick<VersionMetric, "key" | "value" | "timestamp" | "step">[],
): Record<string, number> {
  const latest = new Map<string, Pick<VersionMetric, "value" | "timestamp" | "step">>();
  for (const metric of metrics) {
    const seen = latest.get(metric.key);
    if (
      !seen ||
      metric.timestamp > seen.timestamp ||
      (+metric.timestamp === +seen.timestamp && metric.step >= seen.step)
    ) {
      latest.set(metric.key, metric);
    }
  }
  return Object.fromEntries([...latest].map(([key, metric]) => [key, metric.value]));
}

export function toVersionSummary(row: VersionRow, metrics: Record<string, number>): VersionSummary {
  return {
    id: row.id,
    modelName: row.model.name,
    version: row.version,
    format: row.format,
    status: row.status,
    statusMessage: row.statusMessage,
    stage: row.stage,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.artifactSha256,
    originalFilename: row.originalFilename,
    description: row.description,
    tags: row.tags,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    metrics,
  };
}

export function toMetricDto(row: VersionMetric): MetricDto {
  return { key: row.key, value: row.value, step: row.step, timestamp: row.timestamp.toISOString() };
}

export function toTransitionDto(row: StageTransition): TransitionDto {
  return {
    id: row.id.toString(),
    fromStage: row.fromStage,
    toStage: row.toStage,
    actor: row.actor,
    comment: row.comment,
    createdAt: row.createdAt.toISOString(),
  };
}

export function asSignature(value: unknown): Signature | null {
  return value && typeof value === "object" ? (value as Signature) : null;
}

export function toJobDto(
  row: Job & { version: (ModelVersion & { model: Pick<RegisteredModel, "name"> }) | null },
): JobDto {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    progress: row.progress,
    target: row.version
      ? { id: row.version.id, modelName: row.version.model.name, version: row.version.version }
      : null,
    result: row.result ?? null,
    error: row.error,
    attempts: row.attempts,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
