import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { crossSiteVerdict, STATE_CHANGING_METHODS } from "@/lib/http/cross-site";
import { hostName, isAllowedHost } from "@/lib/http/origins";

/**
 * What the web app refuses before a page or route sees the request: a Host it does not answer to
 * (DNS rebinding), and a state-changing request sent by a page of another origin (cross-site
 * request forgery). proxy.ts asks for every page, apiRoute for every API route.
 */

/** A header value quoted for a message: bounded, and only printable ASCII. */
export function quoted(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return `'${printable.length > 100 ? `${printable.slice(0, 100)}…` : printable}'`;
}

/**
 * The refusal of a request, or undefined when it may go on. A request without a Host header (made
 * in-process, or HTTP/1.0) is not checked for it: every browser sends one, so rebinding cannot omit it.
 */
export function requestRefusal(req: Pick<Request, "method" | "headers">): AppError | undefined {
  const { allowedHosts, allowedOrigins } = config();
  const host = req.headers.get("host");
  if (host !== null && !isAllowedHost(host, allowedHosts)) {
    return new AppError(
      "bad_request",
      `this server does not answer to the host name ${quoted(hostName(host))}; if it is one of this server's names, add it to ALLOWED_HOSTS`,
    );
  }
  if (!STATE_CHANGING_METHODS.has(req.method.toUpperCase())) return undefined;
  const verdict = crossSiteVerdict(req.headers, host, allowedOrigins);
  if (!verdict.crossSite) return undefined;
  const from =
    verdict.reason === "origin" && verdict.origin !== null
      ? `this request was sent by a page on ${quoted(verdict.origin)}, not on this server`
      : "the browser sent this request from a page on another site (Sec-Fetch-Site: cross-site)";
  return new AppError(
    "forbidden",
    `cross-site requests may not change anything: ${from}. To let a page on another origin call the API, add its origin to ALLOWED_ORIGINS`,
  );
}
