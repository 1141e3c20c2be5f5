import { z } from "zod";

/**
 * The scalar fields request schemas are built from, bounded by what PostgreSQL can store: text
 * without NUL characters (text and jsonb refuse `\u0000`) or lone UTF-16 surrogates (not valid
 * Unicode, so they cannot be encoded as UTF-8), and whole numbers that fit the `integer` columns
 * they land in. A value outside these bounds is the caller's mistake and gets a 400 naming the
 * field, never a database error. No server-only imports: forms use these schemas too.
 */

/** The largest value of a PostgreSQL `integer` column. */
export const PG_INT_MAX = 2 ** 31 - 1;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codeUnit = (char: string) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Why PostgreSQL cannot store `text` (a phrase that follows the field's name), or null when it can. */
export function unstorableText(text: string): string | null {
  const nul = text.indexOf("\u0000");
  if (nul !== -1) return `contains a NUL character (\\u0000) at character ${nul + 1}, which cannot be stored`;
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) {
    return (
      `contains a lone UTF-16 surrogate (${codeUnit(surrogate[0])}) at character ${surrogate.index + 1}, ` +
      "which is not valid Unicode and cannot be stored"
    );
  }
  return null;
}

/** The refinement every user string goes through; `what` names the field ("the description"). */
const storable =
  (what: string) =>
  (value: string, context: z.RefinementCtx): void => {
    const problem = unstorableText(value);
    if (problem) context.addIssue({ code: "custom", message: `${what} ${problem}` });
  };

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/** `text` with what PostgreSQL cannot store replaced by U+FFFD, for text shown rather than kept (previews). */
export function toStorableText(text: string): string {
  return text.replace(/\u0000/g, "\uFFFD").replace(LONE_SURROGATES, "\uFFFD");
}

/** Any string PostgreSQL can store, with no other bound (the schema around it bounds the size). */
export const storableString = (what: string) => z.string().superRefine(storable(what));

export interface TextOptions {
  max: number;
  /** Default 0; 1 makes an empty (or, trimmed, blank) value an error. */
  min?: number;
  /** Trim surrounding white space before checking the length. Default true. */
  trim?: boolean;
}

/** User text (names, descriptions, tags, comments, keys, labels): bounded and storable. */
export function textSchema(what: string, { max, min = 0, trim = true }: TextOptions) {
  const base = trim ? z.string().trim() : z.string();
  return base
    .min(min, min === 1 ? `${what} is empty` : `${what} is shorter than ${min} characters`)
    .max(max, `${what} is longer than ${max} characters`)
    .superRefine(storable(what));
}

// `.int()` refuses fractions and unsafe integers; the range is checked only for the others, so a
// value gets one message whichever check it fails.
const fitsPgInt = (min: number) => (value: number) =>
  !Number.isSafeInteger(value) || (value >= min && value <= PG_INT_MAX);
const pgIntMessage = (what: string, min: number) => `${what} must be a whole number from ${min} to ${PG_INT_MAX}`;

/** A whole number in a PostgreSQL `integer` column's range (and at least `min`); one message for any miss. */
export function pgIntSchema(what: string, min = 0) {
  const message = pgIntMessage(what, min);
  return z.number({ error: message }).int(message).refine(fitsPgInt(min), message);
}

/** The same, from a query string or path segment ("12"); "1e400" and "2147483648" are refused. */
export function pgIntFromText(what: string, min = 0) {
  const message = pgIntMessage(what, min);
  return z.coerce.number({ error: message }).int(message).refine(fitsPgInt(min), message);
}

/** A model version number: from 1 to the largest `integer`. */
export const versionNumber = () => pgIntSchema("the version", 1);
export const versionNumberFromText = () => pgIntFromText("the version", 1);
