import { z } from "zod";
import { quoted, requestRefusal } from "@/lib/api/request-policy";
import { PG_INT_MAX, unstorableText, versionNumberFromText } from "@/lib/api/fields";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { STATE_CHANGING_METHODS } from "@/lib/http/cross-site";
import { log } from "@/lib/log";
import { classifyDatabaseError } from "@/lib/db/errors";

/**
 * Every API route goes through `apiRoute`: it refuses requests for a host this server does not
 * answer to and state-changing requests from other sites, checks that a state-changing request
 * carries a body type the route takes (JSON unless the route says otherwise), resolves who is
 * calling, checks the permission the route declares, runs the handler and turns any thrown error
 * into the JSON error form `{ error: { code, message } }` with its HTTP status. Unknown errors
 * become a logged 500 whose message reveals nothing internal.
 */

export type Permission =
  | "models.read"
  | "models.write"
  | "versions.write"
  | "versions.promote"
  | "versions.delete"
  | "metrics.write"
  | "jobs.read"
  | "jobs.cancel"
  | "evaluations.run"
  | "endpoints.deploy";

export interface Actor {
  /** Null until accounts exist; then the user's id. */
  id: string | null;
  name: string;
  permissions: "all" | ReadonlySet<Permission>;
}

export interface HandlerContext<P> {
  req: Request;
  params: P;
  actor: Actor;
}

type RouteContext = { params: Promise<Record<string, string | string[]>> };

/** What a state-changing request to a route may carry as its body. */
export interface BodyContract {
  /** Accepted media types, lower case, without parameters. */
  mediaTypes: readonly string[];
  /** What to send instead, for the 415 that refuses any other type. */
  hint: string;
}

/** The body of every state-changing route that does not declare another: JSON. */
export const JSON_BODY: BodyContract = {
  mediaTypes: ["application/json"],
  hint: "this endpoint takes a JSON body: send it with Content-Type: application/json",
};

export interface RouteOptions {
  permission?: Permission;
  body?: BodyContract;
}

/** The media type of a Content-Type value: lower case, without parameters. */
export const mediaTypeOf = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

/** Whether the request announces a body (a request with neither header has none). */
function announcesBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  return req.headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
}

/**
 * A state-changing request carries a type the route takes, or no body at all. A form or a no-cors
 * fetch on another site can only send text/plain, urlencoded or multipart bodies without asking
 * first, so routes that take JSON cannot be driven by one.
 */
function checkBodyType(req: Request, contract: BodyContract): void {
  if (!STATE_CHANGING_METHODS.has(req.method.toUpperCase())) return;
  const contentType = req.headers.get("content-type");
  if (contentType === null ? !announcesBody(req) : contract.mediaTypes.includes(mediaTypeOf(contentType))) return;
  const sent =
    contentType === null
      ? "the request has a body but no Content-Type"
      : `the request's Content-Type was ${quoted(contentType)}`;
  throw new AppError("unsupported_media_type", `${contract.hint}; ${sent}`);
}

/** Accounts and roles come later; until then every caller is the configured local actor. */
function resolveActor(_req: Request): Actor {
  return { id: null, name: config().DEFAULT_ACTOR, permissions: "all" };
}

function mayDo(actor: Actor, permission: Permission | undefined): boolean {
  return permission === undefined || actor.permissions === "all" || actor.permissions.has(permission);
}

export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(error: AppError): Response {
  const body: { code: string; message: string; details?: unknown } = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  // A 503 is the database's state, not the request's: tell clients when to try again.
  return jsonResponse({ error: body }, error.status, error.status === 503 ? { "retry-after": "5" } : {});
}

/** A readable one-line summary of what was wrong with the input. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) {
    return new AppError("validation_failed", describeZodError(error), {
      issues: error.issues.map(({ path, message }) => ({ path, message })),
    });
  }
  const failure = classifyDatabaseError(error);
  if (failure === "unreachable") {
    return new AppError("unavailable", "the database cannot be reached right now; try again in a few seconds");
  }
  if (failure === "busy") {
    return new AppError("unavailable", "the database is busy with other requests; try again in a few seconds");
  }
  return new AppError("internal", "something went wrong on the server; the error has been logged");
}

export function apiRoute<P extends Record<string, string>>(
  handler: (context: HandlerContext<P>) => Promise<Response | unknown>,
  options: RouteOptions = {},
) {
  return async (req: Request, routeContext?: RouteContext): Promise<Response> => {
    try {
      const refusal = requestRefusal(req);
      if (refusal) throw refusal;
      checkBodyType(req, options.body ?? JSON_BODY);
      const actor = resolveActor(req);
      if (!mayDo(actor, options.permission)) {
        throw new AppError("forbidden", `you do not have the '${options.permission}' permission`);
      }
      const params = routeParams<P>(await routeContext?.params);
      const result = await handler({ req, params, actor });
      return result instanceof Response ? result : jsonResponse(result);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "internal") {
        log.error({ err: error, method: req.method, url: req.url }, "unhandled error in API route");
      }
      return errorResponse(appError);
    }
  };
}

/** Parses a JSON body against a schema; a body that is not JSON is a 400 that says so. */
export async function parseJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  const text = await req.text();
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "the request body is not valid JSON");
  }
  return schema.parse(body);
}

export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const params = new URL(req.url).searchParams;
  const query: Record<string, string> = {};
  for (const [key, value] of params) if (value !== "") query[key] = value;
  return schema.parse(query);
}

export const versionNumberSchema = versionNumberFromText();

/** A value quoted in a message, cut short so a huge one does not fill it. */
function shown(raw: string, max = 60): string {
  return raw.length > max ? `${raw.slice(0, max)}…` : raw;
}

/**
 * The path parameters a handler sees. A segment holding text PostgreSQL cannot store (NUL, a lone
 * surrogate) can name nothing, so it is refused here for every route rather than failing a query.
 */
export function routeParams<P>(raw: Record<string, string | string[]> | undefined): P {
  for (const [name, value] of Object.entries(raw ?? {})) {
    for (const segment of Array.isArray(value) ? value : [value]) {
      const problem = unstorableText(segment);
      if (problem) throw new AppError("bad_request", `the ${name} in the path ${problem}`);
    }
  }
  return (raw ?? {}) as P;
}

/** Job ids are UUIDs; anything else cannot name a job (and would be a database error). */
export function parseJobParam(raw: string): string {
  if (!z.uuid().safeParse(raw).success) throw new AppError("not_found", `job '${shown(raw)}' was not found`);
  return raw;
}

export function parseVersionParam(raw: string): number {
  const parsed = versionNumberSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      "bad_request",
      `'${shown(raw)}' is not a version number; versions are whole numbers from 1 to ${PG_INT_MAX}`,
    );
  }
  return parsed.data;
}
