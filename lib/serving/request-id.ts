/**
 * The request ids endpoints answer with: the client's own (V2 `id`, or its X-Request-Id header) or
 * one the replica makes. An id goes back in a response header and keys the prediction log, so it must
 * be short and travel through any HTTP client unchanged: visible ASCII only (no spaces, control
 * characters or anything outside ASCII, which clients re-encode), at most 128 characters.
 */
export const MAX_REQUEST_ID_LENGTH = 128;

export const REQUEST_ID_RULE = `1 to ${MAX_REQUEST_ID_LENGTH} visible ASCII characters (letters, digits and punctuation; no spaces, control or non-ASCII characters)`;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** A string that passed the rule: the only kind of request id a response header takes. */
export type RequestId = string & { readonly checked: unique symbol };

export const isValidRequestId = (value: string): value is RequestId =>
  value.length <= MAX_REQUEST_ID_LENGTH && VISIBLE_ASCII.test(value);

/** Why `value` cannot be a request id, for an error message that names `what` carried it; null when it can. */
export function requestIdProblem(value: unknown, what: string): string | null {
  if (typeof value !== "string") return `${what} must be a string`;
  if (isValidRequestId(value)) return null;
  const length = value.length > MAX_REQUEST_ID_LENGTH ? ` (it has ${value.length})` : "";
  return `${what} must be ${REQUEST_ID_RULE}${length}`;
}
