import type { EvaluationDto } from "@/lib/evaluate/evaluations";

/** A version's newest succeeded evaluation on one dataset: what charts and comparisons plot. */
export interface LatestEvaluation extends Pick<
  EvaluationDto,
  "id" | "version" | "datasetId" | "datasetName" | "finishedAt"
> {
  report: Record<string, unknown>;
}
