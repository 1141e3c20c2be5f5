import { toProbabilities } from "./classification";
import type { EvaluationPlan } from "./mapping";

/**
 * The predictions CSV an evaluation writes: one line per dataset row with its 1-based row number,
 * the predicted class (or value) and, for classifiers, the class probabilities, each to 7
 * significant digits. For a small model, formatting a million numbers is most of an evaluation's
 * time, so the lines are written as bytes with integer arithmetic; `toPrecision` is used only where
 * that could differ from it.
 */

const SIGNIFICANT = 7;
/** 10^0 … 10^22, each exact in a double (parsed from text, so no rounding by `**`). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => Number(`1e${exponent}`));
const LOWEST = 10 ** (SIGNIFICANT - 1);
const HIGHEST = 10 ** SIGNIFICANT;
/** The longest number written: a sign and 21 digits (JavaScript prints up to 1e21 without an exponent). */
const MAX_NUMBER_BYTES = 24;

const ZERO = 0x30;
const DOT = 0x2e;
const MINUS = 0x2d;
const COMMA = 0x2c;
const LF = 0x0a;
const LOWER_E = 0x65;

/** Writes the decimal digits of the whole number `value` (`count` of them) at `at`; returns the end. */
function writeDigits(out: Buffer, at: number, value: number, count: number): number {
  if (value < 2 ** 31) {
    // Small integers: int32 arithmetic, much cheaper than floating-point division.
    let rest = value | 0;
    for (let index = count - 1; index >= 0; index--) {
      const next = (rest / 10) | 0;
      out[at + index] = ZERO + rest - next * 10;
      rest = next;
    }
    return at + count;
  }
  for (let index = count - 1; index >= 0; index--) {
    const next = Math.floor(value / 10);
    out[at + index] = ZERO + (value - next * 10);
    value = next;
  }
  return at + count;
}

function digitCount(value: number): number {
  let count = 1;
  while (count < 22 && value >= POWERS_OF_TEN[count]!) count++;
  return count;
}

/** A non-negative whole number (a row number, a class index). */
function writeInteger(out: Buffer, at: number, value: number): number {
  return writeDigits(out, at, value, digitCount(value));
}

const writeText = (out: Buffer, at: number, text: string) => at + out.write(text, at, "latin1");

/**
 * Writes `value` rounded to 7 significant digits as JavaScript prints numbers: the bytes of
 * `String(Number(value.toPrecision(7)))` ("0.1234568", "1.5e-9", "0"), or "NaN" when it is not
 * finite. Returns where it ended; needs `MAX_NUMBER_BYTES` free. The fast path scales by exact
 * powers of ten (one rounding each), so it is trusted only when the scaled value is not within 1e-6
 * of a rounding tie; values that far from one round the same way as the exact decimal would.
 */
export function writeScore(out: Buffer, at: number, value: number): number {
  if (!Number.isFinite(value)) return writeText(out, at, "NaN");
  if (value === 0) {
    out[at] = ZERO;
    return at + 1;
  }
  const magnitude = value < 0 ? -value : value;
  // The power of ten that puts 7 digits before the point: 7 − 1 − the exponent of the leading digit.
  const scale = SIGNIFICANT - 1 - Math.floor(Math.log10(magnitude));
  // Subnormals have fewer digits than 7 can name, so their shortest form may be shorter.
  if (scale < 0 || magnitude < 1e-300) return writeText(out, at, String(Number(value.toPrecision(SIGNIFICANT))));
  // Tiny values (a confident classifier's other classes) take a rounding per 10^22 step, each
  // relative 2^-53, far inside the tie margin below.
  let scaled = magnitude;
  let remaining = scale;
  for (; remaining > 22; remaining -= 22) scaled *= POWERS_OF_TEN[22]!;
  scaled *= POWERS_OF_TEN[remaining]!;
  const whole = Math.floor(scaled);
  const fraction = scaled - whole;
  let digits = fraction >= 0.5 ? whole + 1 : whole;
  // Near a tie, and where log10 was off by one next to a power of ten (or 9999999.5 became 10^7).
  if ((fraction > 0.499999 && fraction < 0.500001) || digits < LOWEST || digits >= HIGHEST) {
    return writeText(out, at, String(Number(value.toPrecision(SIGNIFICANT))));
  }
  let count = SIGNIFICANT;
  while (digits % 10 === 0) {
    digits = (digits / 10) | 0;
    count--;
  }
  if (value < 0) out[at++] = MINUS;
  // Where the decimal point goes, counted from the first digit (the "n" of Number::toString).
  const point = SIGNIFICANT - scale;
  if (point >= count) {
    at = writeDigits(out, at, digits, count);
    out.fill(ZERO, at, at + point - count);
    return at + point - count;
  }
  if (point > 0) {
    const low = POWERS_OF_TEN[count - point]!;
    const high = Math.floor(digits / low);
    at = writeDigits(out, at, high, point);
    out[at++] = DOT;
    return writeDigits(out, at, digits - high * low, count - point);
  }
  if (point > -6) {
    out[at++] = ZERO;
    out[at++] = DOT;
    out.fill(ZERO, at, at - point);
    return writeDigits(out, at - point, digits, count);
  }
  const low = POWERS_OF_TEN[count - 1]!;
  const first = Math.floor(digits / low);
  out[at++] = ZERO + first;
  if (count > 1) {
    out[at++] = DOT;
    at = writeDigits(out, at, digits - first * low, count - 1);
  }
  out[at++] = LOWER_E;
  out[at++] = MINUS;
  return writeInteger(out, at, 1 - point);
}

/** `writeScore` as a string. */
export function formatScore(value: number): string {
  const out = Buffer.allocUnsafe(MAX_NUMBER_BYTES);
  return out.toString("latin1", 0, writeScore(out, 0, value));
}

export function predictionsHeader(plan: EvaluationPlan): string {
  if (plan.task === "REGRESSION") return "row,prediction\n";
  const classes = Array.from({ length: plan.classCount! }, (_, index) => `p${index}`);
  return `row,predicted,${classes.join(",")}\n`;
}

/** The CSV lines for one chunk of `rows` rows starting at dataset row `rowOffset` (0-based). */
export function predictionLines(plan: EvaluationPlan, scores: Float32Array, rows: number, rowOffset: number): Buffer {
  const classes = plan.task === "REGRESSION" ? 0 : plan.classCount!;
  // Per line: the row number, the prediction and each probability, with their separators.
  const out = Buffer.allocUnsafe(rows * (classes + 2) * (MAX_NUMBER_BYTES + 1));
  let at = 0;
  if (plan.task === "REGRESSION") {
    for (let row = 0; row < rows; row++) {
      at = writeInteger(out, at, rowOffset + row + 1);
      out[at++] = COMMA;
      at = writeScore(out, at, scores[row]!);
      out[at++] = LF;
    }
    return out.subarray(0, at);
  }
  const probabilities = toProbabilities(scores, plan.scoreColumns, "auto");
  for (let row = 0; row < rows; row++) {
    const base = row * classes;
    let predicted = -1;
    let best = -Infinity;
    for (let index = 0; index < classes; index++) {
      if (probabilities[base + index]! > best) {
        best = probabilities[base + index]!;
        predicted = index;
      }
    }
    at = writeInteger(out, at, rowOffset + row + 1);
    out[at++] = COMMA;
    if (Number.isFinite(best)) at = writeInteger(out, at, predicted);
    for (let index = 0; index < classes; index++) {
      out[at++] = COMMA;
      at = writeScore(out, at, probabilities[base + index]!);
    }
    out[at++] = LF;
  }
  return out.subarray(0, at);
}
