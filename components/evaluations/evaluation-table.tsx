"use client";

import { Fragment, useState } from "react";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import { JobStateBadge } from "@/components/jobs/job-state-badge";
import { evaluationPredictionsApiPath } from "@/components/paths";
import { Button, buttonClasses } from "@/components/ui/button";
import { formatNumber, formatPercent } from "@/components/ui/format";
import { ProgressBar } from "@/components/ui/progress-bar";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { EvaluationDetails } from "./evaluation-details";
import { evaluationReport, formatScore, headlineMetric, isActiveEvaluation } from "./report";

const COLUMN_COUNT = 7;

export interface EvaluationTableProps {
  evaluations: EvaluationDto[];
  /** Job ids being cancelled, so their buttons show a spinner. */
  cancelling: ReadonlySet<string>;
  onCancel: (evaluation: EvaluationDto) => void;
}

/**
 * One row per evaluation, newest first. The newest succeeded one is expanded unless the user
 * chose otherwise, so its results are visible without a click.
 */
export function EvaluationTable({ evaluations, cancelling, onCancel }: EvaluationTableProps) {
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const newestSucceeded = evaluations.find((evaluation) => evaluation.state === "SUCCEEDED")?.id;
  const isOpen = (evaluation: EvaluationDto) => toggled[evaluation.id] ?? evaluation.id === newestSucceeded;

  return (
    <Table aria-label="Evaluations">
      <THead>
        <tr>
          <Th>Dataset</Th>
          <Th>State</Th>
          <Th className="min-w-48">Progress</Th>
          <Th className="text-right">Accuracy / R²</Th>
          <Th className="hidden text-right md:table-cell">Rows/s</Th>
          <Th className="hidden md:table-cell">Finished</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </tr>
      </THead>
      <TBody>
        {evaluations.map((evaluation) => {
          const report = evaluationReport(evaluation);
          const open = report !== null && isOpen(evaluation);
          return (
            <Fragment key={evaluation.id}>
              <Tr data-testid="evaluation-row" data-state={evaluation.state} data-dataset={evaluation.datasetName}>
                <Td className="font-medium text-zinc-900">
                  {evaluation.datasetName}
                  <div className="text-xs font-normal text-zinc-500">
                    label column <code className="font-mono">{evaluation.labelColumn}</code> · by {evaluation.createdBy}
                  </div>
                </Td>
                <Td>
                  <div className="space-y-1">
                    <JobStateBadge state={evaluation.state} />
                    {evaluation.state === "FAILED" && evaluation.error && (
                      <p className="max-w-xs text-xs break-words text-red-700" data-testid="evaluation-error">
                        {evaluation.error}
                      </p>
                    )}
                  </div>
                </Td>
                <Td>
                  <EvaluationProgress evaluation={evaluation} />
                </Td>
                <Td className="text-right font-mono text-xs tabular-nums">
                  <HeadlineValue evaluation={evaluation} />
                </Td>
                <Td className="hidden text-right tabular-nums md:table-cell">
                  {evaluation.rowsPerSecond !== null ? formatNumber(evaluation.rowsPerSecond) : "—"}
                </Td>
                <Td className="hidden whitespace-nowrap text-zinc-600 md:table-cell">
                  {evaluation.finishedAt ? <RelativeTime iso={evaluation.finishedAt} /> : "—"}
                </Td>
                <Td>
                  <div className="flex flex-wrap justify-end gap-2">
                    {isActiveEvaluation(evaluation) && (
                      <Button
                        size="sm"
                        pending={cancelling.has(evaluation.jobId)}
                        onClick={() => onCancel(evaluation)}
                        data-testid="evaluation-cancel"
                      >
                        Cancel
                      </Button>
                    )}
                    {evaluation.hasPredictions && (
                      <a
                        href={evaluationPredictionsApiPath(evaluation.modelName, evaluation.id)}
                        download
                        className={buttonClasses("secondary", "sm")}
                        data-testid="evaluation-predictions"
                      >
                        Predictions CSV
                      </a>
                    )}
                    {report && (
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-expanded={open}
                        onClick={() => setToggled((current) => ({ ...current, [evaluation.id]: !open }))}
                        data-testid="evaluation-toggle"
                      >
                        {open ? "Hide details" : "Details"}
                      </Button>
                    )}
                  </div>
                </Td>
              </Tr>
              {open && (
                <tr className="bg-zinc-50/60">
                  <td colSpan={COLUMN_COUNT} className="px-3 py-4">
                    <EvaluationDetails evaluation={evaluation} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </TBody>
    </Table>
  );
}

function EvaluationProgress({ evaluation }: { evaluation: EvaluationDto }) {
  const { rowsDone, rowsTotal, state } = evaluation;
  // Rows are the unit people know from the dataset; the job's progress covers a missing total.
  const percent = rowsTotal > 0 ? (rowsDone / rowsTotal) * 100 : evaluation.progress * 100;
  const tone =
    state === "FAILED" ? "red" : state === "SUCCEEDED" ? "green" : state === "CANCELLED" ? "neutral" : "blue";
  return (
    <div className="space-y-1">
      <ProgressBar percent={percent} label="Evaluation progress" tone={tone} size="sm" />
      <p className="text-xs text-zinc-500 tabular-nums">
        {formatNumber(rowsDone)} / {formatNumber(rowsTotal)} rows · {formatPercent(percent)}
      </p>
    </div>
  );
}

function HeadlineValue({ evaluation }: { evaluation: EvaluationDto }) {
  const report = evaluationReport(evaluation);
  if (!report) return <span className="text-zinc-400">—</span>;
  const { label, value } = headlineMetric(report);
  return (
    <span title={label} data-testid={report.task === "classification" ? "evaluation-accuracy" : "evaluation-r2"}>
      {formatScore(value)}
    </span>
  );
}
