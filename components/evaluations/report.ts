import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import type { ClassificationReport, RegressionReport } from "@/lib/evaluate";

/**
 * Reading evaluation reports in the browser. The API sends `report` as plain JSON (its shape is
 * owned by lib/evaluate), so it is narrowed here once, by its `task` tag, before anything renders it.
 */

export type EvaluationReport = ClassificationReport | RegressionReport;

export function evaluationReport(evaluation: Pick<EvaluationDto, "report">): EvaluationReport | null {
  const report = evaluation.report;
  if (!report) return null;
  if (report.task === "classification" && Array.isArray(report.confusionMatrix) && Array.isArray(report.perClass))
    return report as unknown as ClassificationReport;
  if (report.task === "regression") return report as unknown as RegressionReport;
  return null;
}

export interface MetricDefinition {
  /** The key also used in version_metric (accuracy, macro_f1, …). */
  key: string;
  label: string;
  task: EvaluationReport["task"];
  /** For axis titles: "0–1" for scores, the label's units for errors. */
  unit: string;
  /** Errors and losses: lower is better. */
  lowerIsBetter?: boolean;
  value: (report: EvaluationReport) => number | null;
}

function classification(key: string, label: string, read: (report: ClassificationReport) => number | null) {
  return {
    key,
    label,
    unit: "0–1",
    task: "classification" as const,
    value: (report: EvaluationReport) => (report.task === "classification" ? read(report) : null),
  };
}

function regression(key: string, label: string, read: (report: RegressionReport) => number | null) {
  return {
    key,
    label,
    unit: "label units",
    task: "regression" as const,
    value: (report: EvaluationReport) => (report.task === "regression" ? read(report) : null),
  };
}

/** Every headline metric, in display order; a report shows those of its task. */
export const METRICS: MetricDefinition[] = [
  classification("accuracy", "Accuracy", (r) => r.accuracy),
  classification("macro_precision", "Macro precision", (r) => r.macroPrecision),
  classification("macro_recall", "Macro recall", (r) => r.macroRecall),
  classification("macro_f1", "Macro F1", (r) => r.macroF1),
  classification("weighted_f1", "Weighted F1", (r) => r.weightedF1),
  { ...classification("log_loss", "Log loss", (r) => r.logLoss), unit: "nats", lowerIsBetter: true },
  classification("roc_auc", "ROC AUC", (r) => r.rocAuc),
  { ...regression("mae", "MAE", (r) => r.mae), lowerIsBetter: true },
  { ...regression("rmse", "RMSE", (r) => r.rmse), lowerIsBetter: true },
  { ...regression("r2", "R²", (r) => r.r2), unit: "1 is perfect" },
];

export function metricsFor(task: EvaluationReport["task"]): MetricDefinition[] {
  return METRICS.filter((metric) => metric.task === task);
}

/** The one number a list row shows: accuracy, or R² for regression. */
export function headlineMetric(report: EvaluationReport): { label: string; value: number | null } {
  return report.task === "classification"
    ? { label: "Accuracy", value: report.accuracy }
    : { label: "R²", value: report.r2 };
}

/** Metrics are compared to the fourth decimal everywhere (0.9759), so tables and charts agree. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(4);
}

export function isActiveEvaluation(evaluation: Pick<EvaluationDto, "state">): boolean {
  return evaluation.state === "QUEUED" || evaluation.state === "RUNNING";
}

/**
 * How many evaluations a version page lists. Here rather than in the client section because the
 * server page needs the value too, and constants exported from "use client" modules are not values there.
 */
export const EVALUATIONS_PAGE_SIZE = 20;
