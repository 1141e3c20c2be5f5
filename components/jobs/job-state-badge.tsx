import type { JobDto } from "@/lib/registry/schemas";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/spinner";

export type JobState = JobDto["state"];
export type JobKind = JobDto["kind"];

export const JOB_STATE_LABEL: Record<JobState, string> = {
  QUEUED: "Queued",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

export const JOB_KIND_LABEL: Record<JobKind, string> = {
  VALIDATE: "Validate",
  CONVERT: "Convert",
  COMPRESS: "Compress",
  EVALUATE: "Evaluate",
};

const STATE_TONE: Record<JobState, BadgeTone> = {
  QUEUED: "neutral",
  RUNNING: "blue",
  SUCCEEDED: "green",
  FAILED: "red",
  CANCELLED: "muted",
};

export function isActiveJob(state: JobState): boolean {
  return state === "QUEUED" || state === "RUNNING";
}

export function JobStateBadge({ state }: { state: JobState }) {
  return (
    <Badge tone={STATE_TONE[state]} data-testid="job-state">
      {state === "RUNNING" && <Spinner />}
      {JOB_STATE_LABEL[state]}
    </Badge>
  );
}
