/**
 * Which Host names and browser origins a Modelyard process answers. Web and serving each have their
 * own settings (comma-separated lists) and share these rules, so DNS rebinding and cross-site
 * requests are refused the same way everywhere.
 */

/** A comma-separated setting as a list of lower-case entries; blank entries are dropped. */
export function parseList(setting: string | undefined): string[] {
  return (setting ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
}

/** The host name of a Host header value (`[::1]:3000` → `[::1]`, `Example.COM:80` → `example.com`). */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.lastIndexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * Whether a Host header names this server. `allowed` holds host names (no ports); `*` allows any,
 * and an entry starting with `.` allows that domain and its subdomains.
 */
export function isAllowedHost(hostHeader: string | null | undefined, allowed: readonly string[]): boolean {
  if (!hostHeader) return false;
  if (allowed.includes("*")) return true;
  const name = hostName(hostHeader);
  return allowed.some((entry) =>
    entry.startsWith(".") ? name === entry.slice(1) || name.endsWith(entry) : name === entry,
  );
}

/** Host names every installation answers to: this machine by its loopback names. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;
