import { describe, expect, it } from "vitest";
import { evaluationReport, formatScore, headlineMetric, metricsFor } from "@/components/evaluations/report";
import { comparePath } from "@/components/paths";

const classification = {
  task: "classification",
  rows: 10,
  invalidRows: 0,
  accuracy: 0.975925925925926,
  macroPrecision: 0.9,
  macroRecall: 0.8,
  macroF1: 0.85,
  weightedF1: 0.86,
  perClass: [],
  confusionMatrix: [],
  logLoss: 0.2,
  rocAuc: null,
};

describe("evaluation reports in the dashboard", () => {
  it("narrows reports by task and ignores what it does not know", () => {
    expect(evaluationReport({ report: classification })?.task).toBe("classification");
    expect(evaluationReport({ report: { task: "regression", rows: 1, invalidRows: 0, r2: 0.5 } })?.task).toBe(
      "regression",
    );
    expect(evaluationReport({ report: null })).toBeNull();
    expect(evaluationReport({ report: { task: "classification" } })).toBeNull();
    expect(evaluationReport({ report: { task: "ranking" } })).toBeNull();
  });

  it("shows the headline metric to four decimals, and a dash when there is none", () => {
    const report = evaluationReport({ report: classification })!;
    expect(formatScore(headlineMetric(report).value)).toBe("0.9759");
    expect(formatScore(null)).toBe("—");
    expect(formatScore(Number.NaN)).toBe("—");
  });

  it("lists the metrics of each task", () => {
    expect(metricsFor("regression").map((metric) => metric.key)).toEqual(["mae", "rmse", "r2"]);
    expect(metricsFor("classification").map((metric) => metric.key)).toContain("roc_auc");
  });

  it("builds readable comparison URLs", () => {
    expect(comparePath("digits", [1, 2], "abc")).toBe("/models/digits/compare?versions=1,2&dataset=abc");
    expect(comparePath("digits", [])).toBe("/models/digits/compare");
  });
});
