import type { z } from "zod";

/** What Next.js passes as `searchParams`: repeated keys arrive as arrays. */
export type RawSearchParams = Record<string, string | string[] | undefined>;

/**
 * Parses a page's query string with the API's own query schema. A hand-edited URL with a bad
 * value (`?page=abc`, `?state=BOGUS`) drops just that value instead of failing the page.
 */
export function parseSearchParams<S extends z.ZodType<object>>(schema: S, raw: RawSearchParams): z.output<S> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first.trim() !== "") values[key] = first;
  }
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const key = issue.path[0];
    if (typeof key === "string") delete values[key];
  }
  const retried = schema.safeParse(values);
  // Every schema used here has defaults for all required keys, so an empty query always parses.
  return retried.success ? retried.data : schema.parse({});
}
