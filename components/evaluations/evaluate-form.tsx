"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import type { DatasetDto } from "@/lib/datasets/schemas";
import type { EvaluationDto } from "@/lib/evaluate/evaluations";
import type { Signature } from "@/lib/registry/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { versionEvaluationsApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { formatNumber } from "@/components/ui/format";
import { ColumnMappingFields } from "./column-mapping-fields";
import {
  checkPlan,
  describeColumns,
  draftOptions,
  featureNames,
  initialDraft,
  type MappingDraft,
  type PlanCheck,
} from "./column-mapping";

export interface EvaluateFormProps {
  modelName: string;
  version: number;
  datasets: DatasetDto[];
  /** The version's inputs and outputs, to map columns onto; null until validation has read them. */
  signature: Signature | null;
  /** Why evaluating is not possible (e.g. the version is not Ready); disables Start. */
  disabledReason: string | null;
  onStarted: (evaluation: EvaluationDto) => void;
}

/** The hand-made mapping of one dataset, and whether the user chose it over the automatic one. */
interface MappingState {
  datasetId: string;
  draft: MappingDraft;
  byHand: boolean;
}

/**
 * Starts an evaluation of this version on one of the model's datasets. Columns feed the inputs
 * automatically where the planner can tell how; otherwise (or on request) a mapping form asks which
 * columns fill each input. The planner runs here as the user edits, and the API checks again before
 * queueing anything, so its 400 message (what does not fit and what to do) is shown right here too.
 */
export function EvaluateForm({
  modelName,
  version,
  datasets,
  signature,
  disabledReason,
  onStarted,
}: EvaluateFormProps) {
  const [datasetId, setDatasetId] = useState(datasets[0]?.id ?? "");
  const dataset = datasets.find((candidate) => candidate.id === datasetId);
  // The label column follows the dataset's own until the user picks another one.
  const [labelChoice, setLabelChoice] = useState<{ datasetId: string; column: string } | null>(null);
  const labelColumn = labelChoice?.datasetId === datasetId ? labelChoice.column : (dataset?.labelColumn ?? "");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const features = dataset ? featureNames(dataset.columns, labelColumn) : [];
  const automatic = dataset && signature ? checkPlan(signature, dataset.columns, labelColumn) : null;
  // The mapping follows the dataset: another dataset starts from its own columns.
  const [mappingState, setMappingState] = useState<MappingState | null>(null);
  const mapping =
    mappingState?.datasetId === datasetId
      ? mappingState
      : { datasetId, draft: initialDraft(signature ?? { inputs: [], outputs: [] }, features), byHand: false };
  const mapByHand = signature !== null && (mapping.byHand || automatic?.ok === false);
  const manual =
    mapByHand && dataset
      ? checkPlan(signature, dataset.columns, labelColumn, draftOptions(mapping.draft, features))
      : null;
  const updateMapping = (next: Partial<MappingState>) => {
    setMappingState({ ...mapping, ...next });
    setError(null);
  };

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!dataset) return;
    setPending(true);
    setError(null);
    try {
      const evaluation = await apiFetch<EvaluationDto>(versionEvaluationsApiPath(modelName, version), {
        method: "POST",
        json: {
          datasetId: dataset.id,
          ...(labelColumn ? { labelColumn } : {}),
          ...(mapByHand ? draftOptions(mapping.draft, features) : {}),
        },
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
      {signature && automatic && (
        <MappingSection
          automatic={automatic}
          manual={manual}
          byHand={mapping.byHand}
          onByHand={(byHand) => updateMapping({ byHand })}
        >
          <ColumnMappingFields
            signature={signature}
            features={features}
            draft={mapping.draft}
            onChange={(draft) => updateMapping({ draft })}
          />
        </MappingSection>
      )}
      {error && <Alert data-testid="evaluate-error">{error}</Alert>}
    </form>
  );
}

/** How the columns feed the inputs: the automatic mapping and a way to override it, or the mapping form. */
function MappingSection({
  automatic,
  manual,
  byHand,
  onByHand,
  children,
}: {
  automatic: PlanCheck;
  /** The planner's verdict on the hand-made mapping, when it is in use. */
  manual: PlanCheck | null;
  byHand: boolean;
  onByHand: (byHand: boolean) => void;
  children: ReactNode;
}) {
  if (!manual) {
    return (
      <div
        className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-zinc-600"
        data-testid="mapping-automatic"
      >
        <p>
          Columns map automatically:{" "}
          {automatic.ok &&
            automatic.plan.inputs.map((input, index) => (
              <span key={input.name}>
                {index > 0 && "; "}
                <span className="font-mono text-zinc-800">{input.name}</span> ←{" "}
                <span className="font-mono">{describeColumns(input.columns)}</span> (
                {formatNumber(input.columns.length)} {input.columns.length === 1 ? "column" : "columns"})
              </span>
            ))}
        </p>
        <Button variant="ghost" size="sm" onClick={() => onByHand(true)} data-testid="evaluate-map-by-hand">
          Map columns by hand
        </Button>
      </div>
    );
  }
  return (
    <section aria-labelledby="column-mapping-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id="column-mapping-heading" className="text-sm font-semibold text-zinc-900">
          Column mapping
        </h3>
        {automatic.ok && byHand && (
          <Button variant="ghost" size="sm" onClick={() => onByHand(false)} data-testid="evaluate-map-automatic">
            Use the automatic mapping
          </Button>
        )}
      </div>
      {!automatic.ok && (
        <p className="text-sm text-zinc-600" data-testid="mapping-automatic-refused">
          Automatic mapping does not apply: {automatic.message}. Choose below which columns fill each input.
        </p>
      )}
      {children}
      {manual.ok ? (
        <Alert tone="success" data-testid="mapping-check">
          The mapping fits the model: {manual.plan.task === "CLASSIFICATION" ? "classification" : "regression"} of
          output <span className="font-mono">{manual.plan.output}</span> against{" "}
          <span className="font-mono">{manual.plan.labelColumn}</span>.
        </Alert>
      ) : (
        <Alert tone="warning" data-testid="mapping-check">
          {manual.message}
        </Alert>
      )}
    </section>
  );
}
