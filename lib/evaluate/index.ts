/**
 * Evaluation metrics for batch evaluation jobs: accumulators that take a labelled dataset chunk by
 * chunk, serialise to JSON as resumable checkpoints, merge across workers, and finalise into reports.
 */
export {
  ClassificationAccumulator,
  classificationReport,
  classificationStateSchema,
  toProbabilities,
  LOG_LOSS_EPSILON,
  SCORE_MODES,
  type ClassificationOptions,
  type ClassificationReport,
  type ClassificationState,
  type ClassMetrics,
  type ScoreMode,
} from "./classification";
export {
  RegressionAccumulator,
  regressionReport,
  regressionStateSchema,
  type RegressionReport,
  type RegressionState,
} from "./regression";
export {
  planEvaluation,
  valuesPerRow,
  evaluationOptionsSchema,
  evaluationPlanSchema,
  EVALUATION_TASKS,
  type DatasetColumnInfo,
  type EvaluationOptions,
  type EvaluationPlan,
  type EvaluationTaskName,
  type InputPlan,
} from "./mapping";
export { formatScore, predictionLines, predictionsHeader, writeScore } from "./predictions";
