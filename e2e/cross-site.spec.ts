import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { DIGITS } from "./support";

/**
 * The dashboard seen from another site, in real Chromium: a page on another origin posts a form
 * that looks like JSON to the API and frames the dashboard; a DNS-rebinding request names another
 * host. None of it may change or show anything. And the dashboard itself still runs under its CSP.
 */

interface OtherSite {
  /** The same server by two names: another origin on this site, and another site. */
  sameSiteOrigin: string;
  crossSiteOrigin: string;
  close: () => Promise<void>;
}

/** An attacker's pages, served from this test: a text/plain form aimed at the API, and a frame of the dashboard. */
async function startOtherSite(appOrigin: string, modelName: string): Promise<OtherSite> {
  // text/plain encodes a field as `name=value`: this one arrives as {"name":"…","padding":"="}.
  const fieldName = `{"name":"${modelName}","padding":"`;
  const pages: Record<string, string> = {
    "/form": `<!doctype html><form method="POST" action="${appOrigin}/api/models" enctype="text/plain">
      <input type="hidden" name='${fieldName}' value='"}'><button id="send">Win a prize</button></form>`,
    "/frame": `<!doctype html><h1>Not the dashboard</h1><iframe id="dashboard" src="${appOrigin}/models" width="800" height="600"></iframe>`,
  };
  const server = http.createServer((req, res) => {
    const page = pages[new URL(req.url ?? "/", "http://x").pathname];
    res.writeHead(page ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(page ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    sameSiteOrigin: `http://127.0.0.1:${port}`,
    // localhost and 127.0.0.1 are different sites: Chromium marks the request Sec-Fetch-Site: cross-site.
    crossSiteOrigin: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A request with a Host header of our choosing, as a DNS-rebinding page would make the browser send. */
function requestWithHost(url: string, host: string, method = "GET", body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, { method, headers: { host, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** Content-Security-Policy violations the page reports (Chromium logs each one as a console error). */
function recordCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
  return violations;
}

test("a form on another origin cannot create a model, from this site or another", async ({ page, baseURL }) => {
  const appOrigin = new URL(baseURL!).origin;
  for (const from of ["sameSiteOrigin", "crossSiteOrigin"] as const) {
    const name = `csrf-${from}-${Date.now().toString(36)}`;
    const site = await startOtherSite(appOrigin, name);
    try {
      await page.goto(`${site[from]}/form`);
      const answer = page.waitForResponse(
        (response) => response.url() === `${appOrigin}/api/models` && response.request().method() === "POST",
      );
      await page.locator("#send").click();
      const response = await answer;
      // The browser sent what the attack needs: JSON-looking text, no preflight.
      expect(response.request().headers()["content-type"]).toMatch(/^text\/plain/);
      expect(response.request().postData()).toBe(`{"name":"${name}","padding":"="}\r\n`);
      expect(response.status(), from).toBe(403);
      expect((await response.json()).error.message).toMatch(/^cross-site requests may not change anything/);
      expect((await page.request.get(`/api/models/${name}`)).status(), from).toBe(404);
    } finally {
      await site.close();
    }
  }
});

test("the dashboard refuses to be framed by another site", async ({ page, baseURL }) => {
  const appOrigin = new URL(baseURL!).origin;
  const site = await startOtherSite(appOrigin, "unused");
  try {
    const framed = page.waitForResponse((response) => response.url() === `${appOrigin}/models`);
    await page.goto(`${site.crossSiteOrigin}/frame`);
    const headers = (await framed).headers();
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    await expect(page.getByRole("heading", { name: "Not the dashboard" })).toBeVisible();
    // Chromium put its error page in the frame instead of the dashboard.
    const frame = () => page.frames().find((candidate) => candidate !== page.mainFrame());
    await expect.poll(() => frame()?.url()).toMatch(/^chrome-error:/);
    await expect(frame()!.getByTestId("new-model-button")).toHaveCount(0);
  } finally {
    await site.close();
  }
});

test("a request naming another host is refused, pages and API alike (DNS rebinding)", async ({ page, baseURL }) => {
  const name = `rebound-${Date.now().toString(36)}`;
  for (const path of ["/models", "/api/models", "/api/health"]) {
    const answer = await requestWithHost(new URL(path, baseURL).href, "attacker.example");
    expect(answer.status, path).toBe(400);
    expect(JSON.parse(answer.body).error.message).toBe(
      "this server does not answer to the host name 'attacker.example'; if it is one of this server's names, add it to ALLOWED_HOSTS",
    );
  }
  const created = await requestWithHost(
    new URL("/api/models", baseURL).href,
    `attacker.example:${new URL(baseURL!).port}`,
    "POST",
    JSON.stringify({ name }),
  );
  expect(created.status).toBe(400);
  expect((await page.request.get(`/api/models/${name}`)).status()).toBe(404);
  // The names this server has still answer.
  expect((await requestWithHost(new URL("/models", baseURL).href, `localhost:${new URL(baseURL!).port}`)).status).toBe(
    200,
  );
});

test("the dashboard hydrates and uploads under its CSP, with every security header", async ({ page }) => {
  const violations = recordCspViolations(page);
  const name = `csp-${Date.now().toString(36)}`;

  const response = await page.goto("/models");
  const headers = response!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  const api = await page.request.get("/api/models");
  expect(api.headers()["content-security-policy"]).toMatch(/^default-src 'none'; frame-ancestors 'none'/);
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");

  // The dialog only opens once React has hydrated the page.
  await page.getByTestId("new-model-button").click();
  await page.getByTestId("new-model-name").fill(name);
  await page.getByTestId("new-model-submit").click();
  await expect(page).toHaveURL(new RegExp(`/models/${name}$`));
  await page.getByTestId("upload-input").setInputFiles(DIGITS);
  await expect(page.locator('[data-testid="version-row"][data-version="1"]')).toHaveAttribute("data-status", "READY", {
    timeout: 30_000,
  });
  for (const path of [`/models/${name}/versions/1`, "/jobs", "/endpoints", "/no-such-page"]) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
  }
  await page.getByRole("link", { name: "Back to models" }).click();
  await expect(page).toHaveURL(/\/models$/);
  expect(violations).toEqual([]);
});
