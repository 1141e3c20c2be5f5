/**
 * How a dataset's columns feed a version's inputs, and what task the evaluation is. Worked out
 * automatically where it is unambiguous (feature columns in order when there is one input of that
 * width; columns named after the inputs otherwise), or from an explicit mapping; every refusal says
 * which input or column is the problem and what would fix it.
 */
import { z } from "zod";
import { textSchema } from "@/lib/api/fields";
import { AppError } from "@/lib/errors";
import type { Signature, TensorSpec } from "@/lib/registry/schemas";

export interface DatasetColumnInfo {
  name: string;
  kind: "number" | "string";
  min?: number;
  max?: number;
}

export const EVALUATION_TASKS = ["CLASSIFICATION", "REGRESSION"] as const;
export type EvaluationTaskName = (typeof EVALUATION_TASKS)[number];

const columnName = (what: string) => textSchema(what, { min: 1, max: 1000, trim: false });

/** What a user may choose; everything is optional. */
export const evaluationOptionsSchema = z
  .object({
    labelColumn: columnName("the label column").optional(),
    task: z.enum(EVALUATION_TASKS).optional(),
    /** Output to score; the first one by default. */
    output: columnName("the output name").optional(),
    /** Columns per input, in the order they fill it (row-major). */
    inputs: z.record(columnName("the input name"), z.array(columnName("the column name")).min(1)).optional(),
  })
  .strict();
export type EvaluationOptions = z.infer<typeof evaluationOptionsSchema>;

export interface InputPlan {
  name: string;
  dtype: string;
  /** Shape of one row (the input's shape without its batch dimension). */
  rowDims: number[];
  columns: string[];
}

export interface EvaluationPlan {
  inputs: InputPlan[];
  output: string;
  labelColumn: string;
  task: EvaluationTaskName;
  /** Classes of a classifier (2 for a single-column binary output); null for regression. */
  classCount: number | null;
  /** Values per row of the scored output. */
  scoreColumns: number;
}

export const evaluationPlanSchema = z.object({
  inputs: z.array(
    z.object({ name: z.string(), dtype: z.string(), rowDims: z.array(z.number()), columns: z.array(z.string()) }),
  ),
  output: z.string(),
  labelColumn: z.string(),
  task: z.enum(EVALUATION_TASKS),
  classCount: z.number().nullable(),
  scoreColumns: z.number(),
});

const NUMERIC_DTYPES = new Set([
  "float32",
  "float64",
  "float16",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
]);

const refuse = (message: string) => new AppError("bad_request", message);
const isBatchDim = (dim: number | string | undefined) =>
  typeof dim === "string" || (typeof dim === "number" && dim < 0);
const width = (dims: number[]) => dims.reduce((product, dim) => product * dim, 1);
const shapeText = (spec: TensorSpec) => `[${spec.shape.join(", ")}]`;

/** One row's shape; the first dimension must be the batch, the rest fixed. */
function rowDimsOf(spec: TensorSpec, role: "input" | "output"): number[] {
  if (spec.shape.length === 0 || !isBatchDim(spec.shape[0])) {
    throw refuse(`${role} '${spec.name}' ${shapeText(spec)} has no batch dimension, so rows cannot be fed in batches`);
  }
  return spec.shape.slice(1).map((dim) => {
    if (typeof dim !== "number" || dim < 0) {
      throw refuse(
        `${role} '${spec.name}' ${shapeText(spec)} has a dynamic dimension '${dim}' besides the batch; evaluation needs fixed row shapes`,
      );
    }
    return dim;
  });
}

/** How many values one row of an input takes (its shape without the batch dimension, multiplied out). */
export function valuesPerRow(spec: TensorSpec): number {
  return width(rowDimsOf(spec, "input"));
}

function columnsForInput(
  spec: TensorSpec,
  rowWidth: number,
  features: DatasetColumnInfo[],
  singleInput: boolean,
): string[] {
  const byName = new Map(features.map((column) => [column.name, column]));
  if (rowWidth === 1 && byName.has(spec.name)) return [spec.name];
  const indexed = Array.from({ length: rowWidth }, (_, index) => `${spec.name}[${index}]`);
  if (indexed.every((name) => byName.has(name))) return indexed;
  if (singleInput && features.length === rowWidth) return features.map((column) => column.name);
  const available = features.length === 1 ? "1 feature column" : `${features.length} feature columns`;
  throw refuse(
    singleInput
      ? `input '${spec.name}' ${shapeText(spec)} takes ${rowWidth} values per row but the dataset has ${available} besides the label; map the columns explicitly`
      : `input '${spec.name}' takes ${rowWidth} values per row and no columns are named '${spec.name}'${rowWidth > 1 ? ` or '${spec.name}[0]'…'${spec.name}[${rowWidth - 1}]'` : ""}; map the columns explicitly`,
  );
}

function checkColumns(input: string, names: string[], rowWidth: number, columns: Map<string, DatasetColumnInfo>) {
  if (names.length !== rowWidth) {
    throw refuse(`input '${input}' takes ${rowWidth} values per row but ${names.length} columns were mapped to it`);
  }
  for (const name of names) {
    const column = columns.get(name);
    if (!column) throw refuse(`column '${name}' (mapped to input '${input}') is not in the dataset`);
    if (column.kind !== "number") {
      throw refuse(`column '${name}' holds text; only numeric columns can feed input '${input}'`);
    }
  }
}

function chooseTask(
  requested: EvaluationTaskName | undefined,
  output: TensorSpec,
  scoreColumns: number,
  label: DatasetColumnInfo,
): { task: EvaluationTaskName; classCount: number | null } {
  const binaryLabels = label.kind === "number" && label.min !== undefined && label.min >= 0 && (label.max ?? 0) <= 1;
  const task = requested ?? (scoreColumns >= 2 || binaryLabels ? "CLASSIFICATION" : "REGRESSION");
  if (task === "REGRESSION") {
    if (scoreColumns !== 1) {
      throw refuse(
        `output '${output.name}' ${shapeText(output)} has ${scoreColumns} values per row; regression needs one`,
      );
    }
    if (label.kind !== "number")
      throw refuse(`label column '${label.name}' holds text; regression needs numeric targets`);
    return { task, classCount: null };
  }
  const classCount = Math.max(scoreColumns, 2);
  if (label.kind !== "number") {
    throw refuse(`label column '${label.name}' holds text; labels must be class indices 0…${classCount - 1}`);
  }
  if ((label.min ?? 0) < 0 || (label.max ?? 0) > classCount - 1) {
    throw refuse(
      `labels in '${label.name}' range from ${label.min} to ${label.max}, but the model has ${classCount} classes (0…${classCount - 1})`,
    );
  }
  return { task, classCount };
}

export function planEvaluation(
  signature: Signature,
  columns: DatasetColumnInfo[],
  datasetLabelColumn: string | null,
  options: EvaluationOptions = {},
): EvaluationPlan {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const labelName = options.labelColumn ?? datasetLabelColumn;
  if (!labelName) throw refuse("the dataset has no label column; choose which column holds the labels");
  const label = byName.get(labelName);
  if (!label) throw refuse(`label column '${labelName}' is not in the dataset`);
  const features = columns.filter((column) => column.name !== labelName);

  for (const name of Object.keys(options.inputs ?? {})) {
    if (!signature.inputs.some((spec) => spec.name === name)) {
      throw refuse(
        `the model has no input '${name}'; its inputs are ${signature.inputs.map((spec) => `'${spec.name}'`).join(", ")}`,
      );
    }
  }
  const inputs = signature.inputs.map((spec) => {
    if (!NUMERIC_DTYPES.has(spec.dtype)) {
      throw refuse(`input '${spec.name}' has type ${spec.dtype}; evaluation feeds numeric inputs from numeric columns`);
    }
    const rowDims = rowDimsOf(spec, "input");
    const rowWidth = width(rowDims);
    const mapped =
      options.inputs?.[spec.name] ?? columnsForInput(spec, rowWidth, features, signature.inputs.length === 1);
    checkColumns(spec.name, mapped, rowWidth, byName);
    return { name: spec.name, dtype: spec.dtype, rowDims, columns: mapped };
  });

  const outputSpec = options.output
    ? signature.outputs.find((spec) => spec.name === options.output)
    : signature.outputs[0];
  if (!outputSpec) throw refuse(`the model has no output '${options.output ?? ""}'`);
  const scoreColumns = width(rowDimsOf(outputSpec, "output"));
  return {
    inputs,
    output: outputSpec.name,
    labelColumn: labelName,
    scoreColumns,
    ...chooseTask(options.task, outputSpec, scoreColumns, label),
  };
}
