import {
  planEvaluation,
  valuesPerRow,
  type DatasetColumnInfo,
  type EvaluationOptions,
  type EvaluationPlan,
  type EvaluationTaskName,
} from "@/lib/evaluate/mapping";
import type { Signature, TensorSpec } from "@/lib/registry/schemas";

/**
 * The evaluate form's column mapping, as the user edits it: for each model input either a range of
 * dataset columns (first to last, in the dataset's order) or a typed list of names in the order they
 * fill the input; plus the output to score and the task. The planner (lib/evaluate/mapping) checks
 * it here as the user types, with the same messages the API answers with.
 */

export type InputColumns = { mode: "range"; first: string; last: string } | { mode: "list"; text: string };

export interface MappingDraft {
  inputs: Record<string, InputColumns>;
  /** "" lets the planner decide from the output's width and the labels. */
  task: "" | EvaluationTaskName;
  /** "" is the model's first output. */
  output: string;
}

/** The columns that may feed inputs: every column but the label, in the dataset's order. */
export function featureNames(columns: readonly DatasetColumnInfo[], labelColumn: string): string[] {
  return columns.filter((column) => column.name !== labelColumn).map((column) => column.name);
}

/** Columns `first` to `last` inclusive, in the dataset's order (either end may come first). */
export function columnRange(features: readonly string[], first: string, last: string): string[] {
  const from = features.indexOf(first);
  const to = features.indexOf(last);
  if (from < 0 || to < 0) return [];
  return features.slice(Math.min(from, to), Math.max(from, to) + 1);
}

/** Names separated by commas, spaces or line breaks, in the order written. */
export function columnList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter(Boolean);
}

export function draftColumns(draft: InputColumns, features: readonly string[]): string[] {
  return draft.mode === "range" ? columnRange(features, draft.first, draft.last) : columnList(draft.text);
}

/** Values per row of an input, or null when it cannot be fed from columns (the planner says why). */
export function inputWidth(spec: TensorSpec): number | null {
  try {
    return valuesPerRow(spec);
  } catch {
    return null;
  }
}

/**
 * A starting point: each input gets the next run of feature columns as long as it needs, in the
 * dataset's order, so a dataset with an extra leading column needs one change, not sixty-four.
 */
export function initialDraft(signature: Signature, features: readonly string[]): MappingDraft {
  let next = 0;
  const inputs: Record<string, InputColumns> = {};
  for (const spec of signature.inputs) {
    const width = Math.max(1, inputWidth(spec) ?? 1);
    const first = features[Math.min(next, features.length - 1)] ?? "";
    const last = features[Math.min(next + width - 1, features.length - 1)] ?? "";
    inputs[spec.name] = { mode: "range", first, last };
    next += width;
  }
  return { inputs, task: "", output: "" };
}

/** The API's options for a draft (the label column is the form's own field). */
export function draftOptions(draft: MappingDraft, features: readonly string[]): EvaluationOptions {
  return {
    inputs: Object.fromEntries(
      Object.entries(draft.inputs).map(([name, columns]) => [name, draftColumns(columns, features)]),
    ),
    ...(draft.task ? { task: draft.task } : {}),
    ...(draft.output ? { output: draft.output } : {}),
  };
}

export type PlanCheck = { ok: true; plan: EvaluationPlan } | { ok: false; message: string };

/** What the API would answer: the plan, or the planner's refusal (which names the input or column). */
export function checkPlan(
  signature: Signature,
  columns: DatasetColumnInfo[],
  labelColumn: string,
  options: EvaluationOptions = {},
): PlanCheck {
  try {
    return { ok: true, plan: planEvaluation(signature, columns, labelColumn || null, { ...options }) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** "p0 … p63" for long runs, "a, b, c" for short ones. */
export function describeColumns(names: readonly string[]): string {
  if (names.length <= 3) return names.join(", ");
  return `${names[0]} … ${names[names.length - 1]}`;
}
