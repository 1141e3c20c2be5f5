import { hostName } from "./origins";

/**
 * Whether a browser sent a request from a page of another origin. Browsers put `Origin` on every
 * state-changing request and `Sec-Fetch-Site` on every request to a trustworthy (HTTPS or loopback)
 * origin; scripts and CLI clients send neither, so their requests are never taken for cross-site.
 */

/** The methods that change state: only these are held to the cross-site and content-type rules. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** Whether an `Origin` value names the server that a request's Host header names (a missing port is the default one). */
export function isSameOrigin(origin: string, hostHeader: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) return false;
  const host = hostHeader.trim().toLowerCase();
  const name = hostName(host);
  const port = host.slice(name.length + 1) || defaultPort;
  return url.hostname === name && (url.port || defaultPort) === port;
}

export type CrossSiteVerdict =
  { crossSite: false } | { crossSite: true; origin: string | null; reason: "origin" | "sec-fetch-site" };

/**
 * Whether a request comes from a page of another origin that `allowedOrigins` (normalised, as
 * `URL.origin` writes them) does not list.
 */
export function crossSiteVerdict(
  headers: Headers,
  hostHeader: string | null,
  allowedOrigins: readonly string[],
): CrossSiteVerdict {
  const origin = headers.get("origin");
  if (origin !== null && allowedOrigins.includes(origin.trim().toLowerCase())) return { crossSite: false };
  if (origin !== null && (hostHeader === null || !isSameOrigin(origin, hostHeader))) {
    return { crossSite: true, origin, reason: "origin" };
  }
  if (headers.get("sec-fetch-site")?.trim().toLowerCase() === "cross-site") {
    return { crossSite: true, origin, reason: "sec-fetch-site" };
  }
  return { crossSite: false };
}
