"use client";

import { useState, type FormEvent } from "react";
import type { DatasetDto } from "@/lib/datasets/schemas";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import { apiFetch, errorMessage } from "@/components/api-client";
import { versionEvaluationsApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { formatNumber } from "@/components/ui/format";

export interface EvaluateFormProps {
  modelName: string;
  version: number;
  datasets: DatasetDto[];
  /** Why evaluating is not possible (e.g. the version is not Ready); disables Start. */
  disabledReason: string | null;
  onStarted: (evaluation: EvaluationDto) => void;
}

/**
 * Starts an evaluation of this version on one of the model's datasets. The API checks that the
 * columns fit the model before queueing anything, so its 400 message (what does not fit and what to
 * do) is shown right here.
 */
export function EvaluateForm({ modelName, version, datasets, disabledReason, onStarted }: EvaluateFormProps) {
  const [datasetId, setDatasetId] = useState(datasets[0]?.id ?? "");
  const dataset = datasets.find((candidate) => candidate.id === datasetId);
  // The label column follows the dataset's own until the user picks another one.
  const [labelChoice, setLabelChoice] = useState<{ datasetId: string; column: string } | null>(null);
  const labelColumn = labelChoice?.datasetId === datasetId ? labelChoice.column : (dataset?.labelColumn ?? "");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!dataset) return;
    setPending(true);
    setError(null);
    try {
      const evaluation = await apiFetch<EvaluationDto>(versionEvaluationsApiPath(modelName, version), {
        method: "POST",
        json: { datasetId: dataset.id, ...(labelColumn ? { labelColumn } : {}) },
      });
      onStarted(evaluation);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={(event) => void start(event)} className="space-y-3" aria-label="Evaluate this version">
      <div className="grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_auto] sm:items-end">
        <SelectField
          label="Dataset"
          value={datasetId}
          onChange={(event) => {
            setDatasetId(event.target.value);
            setError(null);
          }}
          data-testid="evaluate-dataset"
        >
          {datasets.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.name} ({formatNumber(candidate.rowCount)} rows)
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Label column"
          value={labelColumn}
          onChange={(event) => {
            setLabelChoice({ datasetId, column: event.target.value });
            setError(null);
          }}
          className="font-mono"
          data-testid="evaluate-label-column"
        >
          {!dataset?.labelColumn && <option value="">Choose a column…</option>}
          {dataset?.columns.map((column) => (
            <option key={column.name} value={column.name}>
              {column.name}
              {column.name === dataset.labelColumn ? " (dataset default)" : ""}
            </option>
          ))}
        </SelectField>
        <Button
          type="submit"
          variant="primary"
          pending={pending}
          disabled={!dataset || disabledReason !== null}
          disabledReason={disabledReason ?? undefined}
          data-testid="evaluate-start"
        >
          Start evaluation
        </Button>
      </div>
      {error && <Alert data-testid="evaluate-error">{error}</Alert>}
    </form>
  );
}
