"use client";

import { useId } from "react";
import { EVALUATION_TASKS } from "@/lib/evaluate/mapping";
import type { Signature, TensorSpec } from "@/lib/registry/schemas";
import { TensorShape } from "@/components/registry/signature-table";
import { SelectField, TextArea } from "@/components/ui/field";
import { formatNumber } from "@/components/ui/format";
import { draftColumns, inputWidth, type InputColumns, type MappingDraft } from "./column-mapping";

const TASK_LABELS: Record<(typeof EVALUATION_TASKS)[number], string> = {
  CLASSIFICATION: "Classification",
  REGRESSION: "Regression",
};

export interface ColumnMappingFieldsProps {
  signature: Signature;
  /** Columns that may feed inputs (all but the label), in the dataset's order. */
  features: string[];
  draft: MappingDraft;
  onChange: (draft: MappingDraft) => void;
}

/** Per model input, the dataset columns that fill it; then the output to score and the task. */
export function ColumnMappingFields({ signature, features, draft, onChange }: ColumnMappingFieldsProps) {
  const setInput = (name: string, columns: InputColumns) =>
    onChange({ ...draft, inputs: { ...draft.inputs, [name]: columns } });
  return (
    <div className="space-y-3" data-testid="column-mapping">
      {signature.inputs.map((spec) => (
        <InputColumnsField
          key={spec.name}
          spec={spec}
          features={features}
          value={draft.inputs[spec.name] ?? { mode: "range", first: "", last: "" }}
          onChange={(columns) => setInput(spec.name, columns)}
        />
      ))}
      <div className="grid gap-3 sm:grid-cols-2">
        <SelectField
          label="Output to score"
          value={draft.output}
          onChange={(event) => onChange({ ...draft, output: event.target.value })}
          className="font-mono"
          data-testid="mapping-output"
        >
          {signature.outputs.map((output, index) => (
            <option key={output.name} value={index === 0 ? "" : output.name}>
              {output.name} [{output.shape.join(", ")}]
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Task"
          value={draft.task}
          onChange={(event) => onChange({ ...draft, task: event.target.value as MappingDraft["task"] })}
          data-testid="mapping-task"
        >
          <option value="">Automatic (from the output and the labels)</option>
          {EVALUATION_TASKS.map((task) => (
            <option key={task} value={task}>
              {TASK_LABELS[task]}
            </option>
          ))}
        </SelectField>
      </div>
    </div>
  );
}

function InputColumnsField({
  spec,
  features,
  value,
  onChange,
}: {
  spec: TensorSpec;
  features: string[];
  value: InputColumns;
  onChange: (value: InputColumns) => void;
}) {
  const id = useId();
  const width = inputWidth(spec);
  const chosen = draftColumns(value, features);
  const fits = width !== null && chosen.length === width;
  const switchMode = (mode: InputColumns["mode"]) => {
    if (mode === value.mode) return;
    // Carry the columns over, so switching to a list is a way to edit the range by hand.
    if (mode === "list") onChange({ mode, text: chosen.join(", ") });
    else onChange({ mode, first: chosen[0] ?? features[0] ?? "", last: chosen[chosen.length - 1] ?? "" });
  };
  return (
    <fieldset
      className="space-y-2 rounded-md border border-zinc-200 p-3"
      data-testid="mapping-input"
      data-input={spec.name}
    >
      <legend className="px-1 text-sm font-medium text-zinc-800">
        Input <span className="font-mono">{spec.name}</span> <TensorShape shape={spec.shape} />
        {width !== null && (
          <span className="font-normal text-zinc-600"> takes {formatNumber(width)} values per row</span>
        )}
      </legend>
      <div role="radiogroup" aria-label={`How to choose the columns of ${spec.name}`} className="flex gap-4 text-sm">
        {(
          [
            ["range", "A range of columns"],
            ["list", "A list of columns, in order"],
          ] as const
        ).map(([mode, label]) => (
          <label key={mode} className="flex items-center gap-1.5 text-zinc-700">
            <input
              type="radio"
              name={`${id}-mode`}
              value={mode}
              checked={value.mode === mode}
              onChange={() => switchMode(mode)}
              data-testid={`mapping-mode-${mode}`}
            />
            {label}
          </label>
        ))}
      </div>
      {value.mode === "range" ? (
        <div className="grid gap-3 sm:grid-cols-2">
          {(["first", "last"] as const).map((end) => (
            <SelectField
              key={end}
              label={end === "first" ? "First column" : "Last column"}
              value={value[end]}
              onChange={(event) => onChange({ ...value, [end]: event.target.value })}
              className="font-mono"
              data-testid={`mapping-${end}`}
            >
              {features.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </SelectField>
          ))}
        </div>
      ) : (
        <TextArea
          label="Columns, in the order they fill the input"
          hint="Separate the names with commas, spaces or line breaks."
          value={value.text}
          onChange={(event) => onChange({ mode: "list", text: event.target.value })}
          className="font-mono"
          spellCheck={false}
          data-testid="mapping-list"
        />
      )}
      <p
        className={fits ? "text-xs text-emerald-700" : "text-xs font-medium text-amber-800"}
        aria-live="polite"
        data-testid="mapping-count"
      >
        {formatNumber(chosen.length)} {chosen.length === 1 ? "column" : "columns"} chosen
        {width !== null && (fits ? ", as the input needs" : `; the input needs ${formatNumber(width)}`)}
      </p>
    </fieldset>
  );
}
