import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import nextConfig from "@/next.config";
import { config as proxyConfig, proxy } from "@/proxy";

process.env.ALLOWED_HOSTS = "gpu-box.lan";

const page = (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
  new NextRequest(`http://127.0.0.1:3000${path}`, {
    method: init.method,
    headers: { host: "127.0.0.1:3000", ...init.headers },
  });

/** The request headers NextResponse.next() hands on to the page render. */
const forwardedHeader = (response: Response, name: string) => response.headers.get(`x-middleware-request-${name}`);

describe("the proxy in front of every page", () => {
  it("gives each page a CSP with a fresh nonce that the render sees too, and refuses framing", () => {
    const first = proxy(page("/models"));
    const second = proxy(page("/models/digits"));
    const policy = first.headers.get("content-security-policy")!;
    const nonce = /'nonce-([A-Za-z0-9+/=]{24})'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("base-uri 'self'");
    expect(policy).toContain("form-action 'self'");
    expect(forwardedHeader(first, "content-security-policy")).toBe(policy);
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
  });

  it("refuses a host this server does not answer to, pages and assets alike", async () => {
    for (const path of ["/models", "/_next/static/chunks/main.js", "/favicon.ico"]) {
      const response = proxy(page(path, { headers: { host: "attacker.example:3000" } }));
      expect(response.status, path).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          code: "bad_request",
          message:
            "this server does not answer to the host name 'attacker.example'; if it is one of this server's names, add it to ALLOWED_HOSTS",
        },
      });
    }
    expect(proxy(page("/models", { headers: { host: "gpu-box.lan:3000" } })).status).toBe(200);
  });

  it("refuses state-changing requests from other sites, and lets the dashboard's own through", async () => {
    const crossSite = proxy(page("/models", { method: "POST", headers: { origin: "http://attacker.example" } }));
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.message).toMatch(/^cross-site requests may not change anything/);
    const own = proxy(page("/models", { method: "POST", headers: { origin: "http://127.0.0.1:3000" } }));
    expect(own.status).toBe(200);
    // A link from another site is a GET: it still opens the dashboard.
    expect(proxy(page("/models", { headers: { "sec-fetch-site": "cross-site" } })).status).toBe(200);
  });

  it("runs for pages and assets but never for the API, whose uploads it would buffer", () => {
    const matches = (url: string) => unstable_doesMiddlewareMatch({ config: proxyConfig, nextConfig, url });
    for (const url of ["/", "/models", "/models/api", "/apiary", "/_next/static/chunks/main.js", "/favicon.ico"]) {
      expect(matches(url), url).toBe(true);
    }
    for (const url of ["/api", "/api/models", "/api/models/digits/versions"]) expect(matches(url), url).toBe(false);
  });
});

describe("headers on every response", () => {
  it("forbids framing and sniffing and keeps the referrer on this site, with a no-load CSP for the API", async () => {
    const rules = await nextConfig.headers!();
    const headersFor = (source: string) =>
      Object.fromEntries(rules.find((rule) => rule.source === source)!.headers.map(({ key, value }) => [key, value]));
    expect(headersFor("/:path*")).toEqual({
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
    });
    expect(headersFor("/api/:path*")["Content-Security-Policy"]).toMatch(/^default-src 'none'; frame-ancestors 'none'/);
  });
});
