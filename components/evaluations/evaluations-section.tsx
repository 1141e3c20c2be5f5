"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef } from "react";
import type { DatasetDto } from "@/lib/datasets/schemas";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import type { Page, Signature } from "@/lib/registry/schemas";
import { EVALUATIONS_PAGE_PARAM, modelPath, versionEvaluationsApiPath, versionPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { Pagination, buildHref } from "@/components/ui/pagination";
import { usePolledResource } from "@/components/use-polled-resource";
import { EvaluateForm } from "./evaluate-form";
import { EvaluationTable } from "./evaluation-table";
import { useEvaluationCancel } from "./use-evaluation-cancel";
import { isActiveEvaluation } from "./report";

/** Progress moves chunk by chunk, so poll briskly while something runs; slowly otherwise (others may start one). */
const ACTIVE_POLL_MS = 1500;
const IDLE_POLL_MS = 15_000;

function pollInterval(page: Page<EvaluationDto>): number {
  return page.items.some(isActiveEvaluation) ? ACTIVE_POLL_MS : IDLE_POLL_MS;
}

export interface EvaluationsSectionProps {
  modelName: string;
  version: number;
  /** All of the model's datasets (the form's choices). */
  datasets: DatasetDto[];
  /** The version's inputs and outputs, for the column mapping; null until validation has read them. */
  signature: Signature | null;
  /** The server-rendered page of evaluations for the current `?evaluationsPage=`. */
  initialPage: Page<EvaluationDto>;
  /** Why this version cannot be evaluated now (not Ready), or null. */
  disabledReason: string | null;
}

/** The Evaluate form above this version's live list of evaluations, a page at a time. */
export function EvaluationsSection({
  modelName,
  version,
  datasets,
  signature,
  initialPage,
  disabledReason,
}: EvaluationsSectionProps) {
  const router = useRouter();
  const { page, pageSize } = initialPage;
  const activeIds = useRef(new Set(initialPage.items.filter(isActiveEvaluation).map((item) => item.id)));
  const evaluations = usePolledResource({
    url: buildHref(versionEvaluationsApiPath(modelName, version), { page, pageSize }),
    initial: initialPage,
    intervalFor: pollInterval,
    onData: (page) => {
      // A finished evaluation also logs version metrics, which the server-rendered Metrics card shows.
      const active = new Set(page.items.filter(isActiveEvaluation).map((item) => item.id));
      const settled = [...activeIds.current].some((id) => !active.has(id));
      activeIds.current = active;
      if (settled) router.refresh();
    },
  });
  const cancellation = useEvaluationCancel(() => void evaluations.refresh());

  function onStarted(evaluation: EvaluationDto) {
    activeIds.current.add(evaluation.id);
    // Evaluations are listed newest first, so the new one is on page 1.
    if (page !== 1) {
      router.push(versionPath(modelName, version), { scroll: false });
      return;
    }
    evaluations.setData((current) =>
      current.items.some((item) => item.id === evaluation.id)
        ? current
        : {
            ...current,
            items: [evaluation, ...current.items].slice(0, current.pageSize),
            total: current.total + 1,
          },
    );
    void evaluations.refresh();
  }

  const { items, total } = evaluations.data;
  return (
    <Card title="Evaluations" id="evaluations">
      <div className="space-y-4">
        {datasets.length > 0 ? (
          <EvaluateForm
            modelName={modelName}
            version={version}
            datasets={datasets}
            signature={signature}
            disabledReason={disabledReason}
            onStarted={onStarted}
          />
        ) : (
          <p className="text-sm text-zinc-600">
            This model has no datasets yet.{" "}
            <Link href={`${modelPath(modelName)}#datasets-heading`} className="text-blue-700 hover:underline">
              Upload a labelled CSV on the model page
            </Link>{" "}
            to evaluate versions on it.
          </p>
        )}
        {cancellation.error && <Alert data-testid="evaluation-cancel-error">{cancellation.error}</Alert>}
        {items.length > 0 ? (
          <div className="space-y-2">
            <EvaluationTable
              evaluations={items}
              cancelling={cancellation.cancelling}
              onCancel={(item) => void cancellation.cancel(item)}
            />
            {total > pageSize && (
              <Pagination
                path={versionPath(modelName, version)}
                page={page}
                pageSize={pageSize}
                total={total}
                noun="evaluations"
                pageParam={EVALUATIONS_PAGE_PARAM}
              />
            )}
          </div>
        ) : total > 0 ? (
          <EmptyState
            title={`Page ${page} is past the last evaluation`}
            action={
              <Link
                href={versionPath(modelName, version)}
                className="text-sm font-medium text-blue-700 hover:underline"
              >
                Go to the newest evaluations
              </Link>
            }
            className="py-8"
          />
        ) : (
          <EmptyState
            title="Not evaluated yet"
            description="Start an evaluation to measure this version on a labelled dataset: accuracy, a confusion matrix and F1 per class (or MAE, RMSE and R² for regression)."
            className="py-8"
          />
        )}
        <LiveUpdateError message={evaluations.error} />
      </div>
    </Card>
  );
}
