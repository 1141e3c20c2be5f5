"use client";

import { useState } from "react";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import { ApiClientError, apiFetch, errorMessage } from "@/components/api-client";
import { jobCancelApiPath } from "@/components/paths";

/** Cancelling evaluations from a list: which are being cancelled, and why the last attempt failed. */
export function useEvaluationCancel(afterwards: () => void) {
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);

  async function cancel(evaluation: EvaluationDto) {
    setError(null);
    setCancelling((current) => new Set(current).add(evaluation.jobId));
    try {
      await apiFetch(jobCancelApiPath(evaluation.jobId), { method: "POST" });
    } catch (caught) {
      // 409: it finished meanwhile; the refresh shows how, so that is not an error to show.
      if (!(caught instanceof ApiClientError && caught.status === 409)) setError(errorMessage(caught));
    } finally {
      setCancelling((current) => {
        const next = new Set(current);
        next.delete(evaluation.jobId);
        return next;
      });
      afterwards();
    }
  }

  return { cancelling, error, cancel };
}
