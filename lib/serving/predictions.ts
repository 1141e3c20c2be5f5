import type { Signature, TensorSpec } from "@/lib/registry/schemas";

/**
 * What an endpoint's answer predicts, read off the version's signature: the class (from an integer
 * label output, or the highest score of a score output with two or more columns) or a value (a
 * score output with one column). The serving replica logs predictions this way and the feedback
 * API checks labels and scores online accuracy with the same rules, so the two cannot disagree.
 */
export type PredictionPlan =
  | {
      kind: "class";
      /** An integer output holding the predicted class, when the model has one. */
      labelOutput: string | null;
      /** A float output with a score per class; confidence comes from it. */
      scoreOutput: string | null;
      /** Classes, when a score output tells how many; labels must then be below it. */
      classCount: number | null;
    }
  | { kind: "value"; scoreOutput: string };

const INTEGER_DTYPES = new Set(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]);
const SCORE_DTYPES = new Set(["float32", "float64"]);

const hasBatchDimension = (spec: TensorSpec) =>
  spec.shape.length > 0 && (typeof spec.shape[0] === "string" || (spec.shape[0] as number) < 0);

/** Values per row when every dimension after the batch is fixed; null otherwise. */
function rowWidth(spec: TensorSpec): number | null {
  if (!hasBatchDimension(spec)) return null;
  let width = 1;
  for (const dim of spec.shape.slice(1)) {
    if (typeof dim !== "number" || dim < 0) return null;
    width *= dim;
  }
  return width;
}

/** How to read predictions from a version's outputs; null when they cannot be read per row. */
export function predictionPlan(signature: Signature): PredictionPlan | null {
  const labelSpec = signature.outputs.find((spec) => INTEGER_DTYPES.has(spec.dtype) && rowWidth(spec) === 1);
  const scoreSpec = signature.outputs.find((spec) => SCORE_DTYPES.has(spec.dtype) && (rowWidth(spec) ?? 0) >= 1);
  const scoreWidth = scoreSpec ? rowWidth(scoreSpec)! : 0;
  if (labelSpec) {
    return {
      kind: "class",
      labelOutput: labelSpec.name,
      scoreOutput: scoreWidth >= 2 ? scoreSpec!.name : null,
      classCount: scoreWidth >= 2 ? scoreWidth : null,
    };
  }
  if (!scoreSpec) return null;
  if (scoreWidth === 1) return { kind: "value", scoreOutput: scoreSpec.name };
  return { kind: "class", labelOutput: null, scoreOutput: scoreSpec.name, classCount: scoreWidth };
}

/** Why a label cannot be feedback for a prediction of this plan, or null when it can. */
export function labelProblem(plan: PredictionPlan, label: number): string | null {
  if (plan.kind === "value") return null;
  if (!Number.isInteger(label) || label < 0) return `${label} is not a class index (a whole number from 0)`;
  if (plan.classCount !== null && label >= plan.classCount) {
    return `${label} is not a class of the model: it has ${plan.classCount} classes (0…${plan.classCount - 1})`;
  }
  return null;
}
