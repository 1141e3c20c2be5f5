"use client";

import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import { ChartCard } from "@/components/ui/chart";
import { FactList } from "@/components/ui/card";
import { formatDuration, formatNumber } from "@/components/ui/format";
import { ConfusionMatrix } from "./confusion-matrix";
import { evaluationReport } from "./report";
import { PerClassF1Chart } from "./report-charts";
import { ReportMetricsTable } from "./report-metrics-table";

/** Everything a finished evaluation found: metrics, and for classification the matrix and F1 per class. */
export function EvaluationDetails({ evaluation }: { evaluation: EvaluationDto }) {
  const report = evaluationReport(evaluation);
  if (!report) return <p className="text-sm text-zinc-500">This evaluation has no report.</p>;
  const elapsedMs = typeof evaluation.report?.elapsedMs === "number" ? evaluation.report.elapsedMs : null;

  return (
    <div className="space-y-4" data-testid="evaluation-details">
      <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <ReportMetricsTable caption="Evaluation metrics" columns={[{ label: "Value", report }]} />
        <FactList
          facts={[
            { label: "Task", value: report.task },
            { label: "Label column", value: <code className="font-mono text-xs">{evaluation.labelColumn}</code> },
            { label: "Rows", value: formatNumber(report.rows) },
            ...(elapsedMs !== null ? [{ label: "Took", value: formatDuration(elapsedMs) }] : []),
            ...(evaluation.rowsPerSecond !== null
              ? [{ label: "Throughput", value: `${formatNumber(evaluation.rowsPerSecond)} rows/s` }]
              : []),
          ]}
        />
      </div>
      {report.task === "classification" && (
        <div className="grid gap-4 xl:grid-cols-2">
          <div className="min-w-0 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
            <ConfusionMatrix report={report} caption="Confusion matrix (rows: true class, columns: predicted)" />
          </div>
          <ChartCard
            title="F1 per class"
            description="Harmonic mean of precision and recall for each class (0–1, higher is better)"
            testId="per-class-f1-chart"
            empty={report.perClass.length === 0 ? "No classes to show" : null}
          >
            <PerClassF1Chart series={[{ name: `v${evaluation.version}`, report }]} />
          </ChartCard>
        </div>
      )}
    </div>
  );
}
