/**
 * Who may call a serving replica: the Host names it answers to (DNS rebinding), the browser origins
 * it grants CORS, and the media types an inference request may carry. A cross-site browser request
 * can neither read an answer nor make the replica work on its behalf unless its origin is configured.
 */
import type { IncomingMessage } from "node:http";
import type { AppConfig } from "@/lib/config";
import { isSameOrigin } from "@/lib/http/cross-site";
import { hostName, isAllowedHost } from "@/lib/http/origins";
import { quoted } from "./messages";
import { HttpError, type CorsGrant } from "./responses";

export interface ServingAccess {
  /** Host names answered (no ports); "*" allows any, ".example.com" a domain. */
  allowedHosts: readonly string[];
  /** Browser origins granted CORS ("https://app.example.com"); "*" allows any; empty: none. */
  corsOrigins: readonly string[];
}

export const servingAccessOf = (settings: Pick<AppConfig, "servingAllowedHosts" | "servingCorsOrigins">) => ({
  allowedHosts: settings.servingAllowedHosts,
  corsOrigins: settings.servingCorsOrigins,
});

/** Liveness and readiness reveal nothing and orchestrators probe them by IP, so any Host may ask. */
const ANY_HOST_PATHS = new Set(["/v2/health/live", "/v2/health/ready"]);

export function checkHost(req: IncomingMessage, path: string, access: ServingAccess): void {
  if (ANY_HOST_PATHS.has(path) || isAllowedHost(req.headers.host, access.allowedHosts)) return;
  const host = req.headers.host;
  throw new HttpError(
    421,
    host
      ? `this replica does not answer to host ${quoted(hostName(host))}; add it to SERVING_ALLOWED_HOSTS (comma separated, "*" for any)`
      : "the request has no Host header; send the host name this replica answers to (see SERVING_ALLOWED_HOSTS)",
  );
}

/** The CORS grant for the request's Origin, when it is configured; null for requests without one. */
export function corsGrantOf(req: IncomingMessage, access: ServingAccess): CorsGrant | null {
  const origin = req.headers.origin?.toLowerCase();
  if (origin === undefined) return null;
  if (access.corsOrigins.includes("*")) return { origin: "*" };
  const entry = access.corsOrigins.find((allowed) => allowed === origin);
  return entry === undefined ? null : { origin: entry };
}

const crossSiteRefusal = (origin: string | undefined) =>
  new HttpError(
    403,
    origin === undefined
      ? "cross-site browser requests are refused; allow the calling page's origin in SERVING_CORS_ORIGINS"
      : `cross-site requests from origin ${quoted(origin)} are refused; add it to SERVING_CORS_ORIGINS to allow them`,
  );

/**
 * Refuses a POST a browser sends from a page whose origin is not configured: it could not read the
 * answer, but it would make the replica compute (and log a prediction) for any page a user visits.
 */
export function checkCrossSitePost(req: IncomingMessage, grant: CorsGrant | null): void {
  if (grant) return;
  const origin = req.headers.origin?.toLowerCase();
  const host = req.headers.host;
  if (origin !== undefined && (host === undefined || !isSameOrigin(origin, host))) throw crossSiteRefusal(origin);
  if (origin === undefined && req.headers["sec-fetch-site"] === "cross-site") throw crossSiteRefusal(undefined);
}

/** A preflight's answer headers, or a 403 for an origin that is not configured. */
export function preflightGrant(req: IncomingMessage, grant: CorsGrant | null): CorsGrant | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null; // not a CORS preflight: answered with Allow alone
  if (!grant) throw crossSiteRefusal(origin.toLowerCase());
  return { ...grant, preflight: true };
}

const mediaTypeOf = (contentType: string) => contentType.split(";", 1)[0]!.trim().toLowerCase();

/**
 * Inference bodies are JSON. A request without a Content-Type is read as JSON, and so is curl's
 * default form type (`curl -d` without -H) when no browser sent it (no Origin or Sec-Fetch-Site):
 * a browser form can carry only form types and text/plain, so those are what must be refused.
 */
export function checkInferenceContentType(req: IncomingMessage): void {
  const contentType = req.headers["content-type"];
  if (contentType === undefined) return;
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === "application/json") return;
  const fromBrowser = req.headers.origin !== undefined || req.headers["sec-fetch-site"] !== undefined;
  if (mediaType === "application/x-www-form-urlencoded" && !fromBrowser) return;
  throw new HttpError(
    415,
    `inference requests take Content-Type application/json, not ${quoted(mediaType)}; send the JSON body with -H 'content-type: application/json'`,
  );
}
