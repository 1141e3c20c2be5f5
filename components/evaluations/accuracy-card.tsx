"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { comparePath } from "@/components/paths";
import { ChartCard } from "@/components/ui/chart";
import { inputClasses } from "@/components/ui/input-classes";
import type { LatestEvaluation } from "./latest";
import { METRICS, evaluationReport, type MetricDefinition } from "./report";
import { VersionMetricChart, type VersionMetricPoint } from "./report-charts";

/** Metrics with at least one value among the evaluations, in display order. */
function presentMetrics(evaluations: LatestEvaluation[]): MetricDefinition[] {
  const reports = evaluations.flatMap((evaluation) => evaluationReport(evaluation) ?? []);
  return METRICS.filter((metric) => reports.some((report) => metric.value(report) !== null));
}

/** The default comparison: the two newest versions evaluated on the dataset with the most of them. */
function defaultComparison(evaluations: LatestEvaluation[]): { datasetId: string; versions: number[] } | null {
  const byDataset = new Map<string, number[]>();
  for (const { datasetId, version } of evaluations)
    byDataset.set(datasetId, [...(byDataset.get(datasetId) ?? []), version]);
  const [datasetId, versions] = [...byDataset].sort(([, a], [, b]) => b.length - a.length)[0] ?? [];
  if (!datasetId || !versions || versions.length < 2) return null;
  // Evaluations arrive sorted by version, so the last two are the newest.
  return { datasetId, versions: versions.slice(-2) };
}

/**
 * A metric (accuracy unless chosen otherwise) of every version on every dataset, from each
 * version's newest succeeded evaluation; one line per dataset, the Production version marked.
 */
export function AccuracyCard({
  modelName,
  evaluations,
  productionVersion,
}: {
  modelName: string;
  evaluations: LatestEvaluation[];
  productionVersion: number | null;
}) {
  const selectId = useId();
  const metrics = presentMetrics(evaluations);
  const [chosenKey, setChosenKey] = useState("accuracy");
  const metric = metrics.find((candidate) => candidate.key === chosenKey) ?? metrics[0];

  const series = [...new Map(evaluations.map((item) => [item.datasetId, item.datasetName]))].map(([key, name]) => ({
    key,
    name,
  }));
  const points: VersionMetricPoint[] = [];
  for (const evaluation of evaluations) {
    const report = evaluationReport(evaluation);
    const value = metric && report ? metric.value(report) : null;
    if (value === null) continue;
    let point = points.find((candidate) => candidate.version === evaluation.version);
    if (!point) points.push((point = { version: evaluation.version }));
    point[evaluation.datasetId] = value;
  }
  points.sort((a, b) => a.version - b.version);
  const comparison = defaultComparison(evaluations);
  const productionNote =
    productionVersion !== null && points.some((point) => point.version === productionVersion)
      ? ` The dashed line marks Production (v${productionVersion}).`
      : "";

  return (
    <ChartCard
      title={metric?.label ?? "Accuracy"}
      description={`Each version's newest succeeded evaluation, one line per dataset.${productionNote}`}
      testId="accuracy-chart"
      height={280}
      empty={points.length === 0 ? "Evaluate a version on a dataset to see its accuracy here" : null}
      actions={
        <div className="flex flex-wrap items-center gap-3">
          {metrics.length > 1 && (
            <div className="flex items-center gap-2 text-sm text-zinc-700">
              <label htmlFor={selectId}>Metric</label>
              <select
                id={selectId}
                value={metric?.key}
                onChange={(event) => setChosenKey(event.target.value)}
                className={inputClasses({ className: "w-44" })}
                data-testid="accuracy-metric"
              >
                {metrics.map((candidate) => (
                  <option key={candidate.key} value={candidate.key}>
                    {candidate.label}
                    {candidate.lowerIsBetter ? " (lower is better)" : ""}
                  </option>
                ))}
              </select>
            </div>
          )}
          {comparison && (
            <Link
              href={comparePath(modelName, comparison.versions, comparison.datasetId)}
              className="text-sm font-medium text-blue-700 hover:underline"
              data-testid="compare-link"
            >
              Compare versions
            </Link>
          )}
        </div>
      }
    >
      {metric && (
        <VersionMetricChart
          points={points}
          series={series}
          metricLabel={`${metric.label} (${metric.unit})`}
          productionVersion={productionVersion}
        />
      )}
    </ChartCard>
  );
}
