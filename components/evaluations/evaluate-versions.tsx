"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import type { Page } from "@/lib/registry/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { evaluationsApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { buildHref } from "@/components/ui/pagination";
import { usePolledResource } from "@/components/use-polled-resource";
import { EvaluationTable } from "./evaluation-table";
import { isActiveEvaluation } from "./report";
import { useEvaluationCancel } from "./use-evaluation-cancel";

const POLL_MS = 1500;

/** The evaluations just started, live, until they settle; then the page is rendered again with their results. */
function StartedEvaluations({
  modelName,
  datasetId,
  started,
}: {
  modelName: string;
  datasetId: string;
  started: EvaluationDto[];
}) {
  const router = useRouter();
  const ids = useRef(new Set(started.map((evaluation) => evaluation.id)));
  const refreshed = useRef(false);
  // Kept stable: a new `initial` on every render would make the poller start over each time.
  const [initial] = useState<Page<EvaluationDto>>(() => ({
    items: started,
    total: started.length,
    page: 1,
    pageSize: started.length,
  }));
  const page = usePolledResource({
    url: buildHref(evaluationsApiPath(modelName), { datasetId, page: 1, pageSize: 50 }),
    initial,
    intervalFor: (current) => (current.items.some(isActiveEvaluation) ? POLL_MS : null),
    onData: (current) => {
      const mine = current.items.filter((item) => ids.current.has(item.id));
      if (!refreshed.current && mine.length > 0 && !mine.some(isActiveEvaluation)) {
        refreshed.current = true;
        router.refresh();
      }
    },
  });
  const { cancelling, error, cancel } = useEvaluationCancel(() => void page.refresh());
  const mine = page.data.items.filter((item) => ids.current.has(item.id));
  return (
    <div className="space-y-2" data-testid="started-evaluations">
      {error && <Alert>{error}</Alert>}
      <EvaluationTable evaluations={mine} cancelling={cancelling} onCancel={(item) => void cancel(item)} />
      <LiveUpdateError message={page.error} />
    </div>
  );
}

/**
 * "Evaluate several versions at once": one evaluation per chosen version on the dataset, checked
 * by the API before any is queued, with their progress shown here.
 */
export function EvaluateVersions({
  modelName,
  datasetId,
  datasetName,
  versions,
}: {
  modelName: string;
  datasetId: string;
  datasetName: string;
  /** Chosen versions not yet evaluated on the dataset. */
  versions: number[];
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<EvaluationDto[] | null>(null);

  async function start() {
    setPending(true);
    setError(null);
    try {
      const { items } = await apiFetch<{ items: EvaluationDto[] }>(evaluationsApiPath(modelName), {
        method: "POST",
        json: { datasetId, versions },
      });
      setStarted(items);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  const label = versions.map((version) => `v${version}`).join(", ");
  return (
    <div className="space-y-3">
      <Button
        type="button"
        size="sm"
        onClick={() => void start()}
        pending={pending}
        disabled={versions.length === 0 || started !== null}
        disabledReason={
          started !== null ? "Started; see the progress below" : "Every chosen version is evaluated on this dataset"
        }
        data-testid="evaluate-versions"
      >
        {versions.length > 0 ? `Evaluate ${label} on ${datasetName}` : `Evaluate on ${datasetName}`}
      </Button>
      {error && <Alert data-testid="evaluate-versions-error">{error}</Alert>}
      {started && <StartedEvaluations modelName={modelName} datasetId={datasetId} started={started} />}
    </div>
  );
}
