import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { DIGITS, DIGITS_CSV, SCREENSHOTS, digitsVariant, uploadReady } from "./support";

/**
 * Live endpoints from a user's seat: promote a version, copy the endpoint URL from the model page,
 * call it, watch the request counted and charted, send ground truth for the answers and see online
 * accuracy, then promote another version and see the switch.
 */

async function promoteInBrowser(page: Page, name: string, version: number) {
  await page.goto(`/models/${name}/versions/${version}`);
  await page.getByTestId("promote-production").click();
  await page.getByTestId("confirm-dialog-confirm").click();
  await expect(page.getByTestId("version-stage")).toHaveText(/Production/);
}

async function firstDigitRow(): Promise<{ pixels: number[]; label: number }> {
  const [header, row] = (await readFile(DIGITS_CSV, "utf8")).split("\n");
  const values = row!.split(",").map(Number);
  return { pixels: values.slice(0, 64), label: values[header!.split(",").indexOf("label")]! };
}

async function infer(request: APIRequestContext, url: string, pixels: number[]) {
  const response = await request.post(url, {
    data: { inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: pixels }] },
  });
  expect(response.status()).toBe(200);
  return (await response.json()) as { id: string; model_version: string; outputs: { data: number[] }[] };
}

test("promote, copy the endpoint URL, call it, see it charted, and see a promotion switch it", async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(120_000);
  const name = `endpoint-e2e-${Date.now().toString(36)}`;
  expect((await page.request.post("/api/models", { data: { name } })).status()).toBe(201);
  await uploadReady(page, name, await readFile(DIGITS), 1);
  await promoteInBrowser(page, name, 1);

  await page.goto(`/models/${name}`);
  const panel = page.getByTestId("endpoint-panel");
  await expect(panel.getByTestId("endpoint-status")).toHaveAttribute("data-status", "READY", { timeout: 30_000 });
  await expect(panel.getByTestId("endpoint-version")).toHaveAttribute("data-version", "1");

  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await panel.getByRole("button", { name: "Copy the KServe V2 URL" }).click();
  const url = await page.evaluate(() => navigator.clipboard.readText());
  expect(url).toMatch(new RegExp(`^https?://[^/]+/v2/models/${name}/infer$`));
  await expect(panel.getByTestId("endpoint-url-kserve")).toHaveText(url);
  await page.screenshot({ path: path.join(SCREENSHOTS, "model-endpoint.png"), fullPage: true });

  const { pixels, label } = await firstDigitRow();
  const calls = 5;
  const requestIds: string[] = [];
  for (let call = 0; call < calls; call++) {
    const answer = await infer(request, url, pixels);
    expect(answer.model_version).toBe("1");
    expect(answer.outputs[0]!.data).toHaveLength(10);
    requestIds.push(answer.id);
  }

  await page.getByTestId("endpoint-page-link").click();
  await expect(page).toHaveURL(new RegExp(`/models/${name}/endpoint$`));
  // Replicas write their running 10-second buckets every SERVING_METRICS_FLUSH_MS (1 s here); the page polls every 5 s.
  await expect(page.getByTestId("endpoint-requests")).toHaveText(String(calls), { timeout: 40_000 });
  const latency = page.getByTestId("latency-chart");
  // A lone 10-second bucket of traffic is drawn as a dot on each percentile's line.
  await expect(latency.locator(".recharts-line-dots circle")).toHaveCount(3);
  await expect(page.getByTestId("batch-size-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("replica-row")).not.toHaveCount(0);

  // Ground truth for the five answers: four with the true label, one with another class.
  const items = requestIds.map((requestId, index) => ({ requestId, label: index === 0 ? (label + 1) % 10 : label }));
  await expect
    .poll(async () => (await request.post(`/api/models/${name}/feedback`, { data: { items } })).status(), {
      message: "the logged predictions to accept feedback",
      timeout: 15_000,
    })
    .toBe(200);
  await page.reload();
  const online = page.getByTestId("online-accuracy");
  await expect(online.getByTestId("online-labelled")).toHaveText("5 (100%)");
  await expect(online.getByTestId("online-score-v1")).toContainText("80%");
  await expect(online.getByTestId("online-accuracy-chart").locator(".recharts-line-dots circle")).toHaveCount(1);
  await page.screenshot({ path: path.join(SCREENSHOTS, "endpoint.png"), fullPage: true });

  await page.goto("/endpoints");
  await expect(page.locator(`[data-testid="endpoint-row"]`, { hasText: name })).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, "endpoints.png"), fullPage: true });

  await uploadReady(page, name, await digitsVariant("retrained"), 2);
  await promoteInBrowser(page, name, 2);
  await page.goto(`/models/${name}`);
  await expect(panel.getByTestId("endpoint-version")).toHaveAttribute("data-version", "2");
  await expect(panel.getByTestId("endpoint-status")).toHaveAttribute("data-status", "READY", { timeout: 30_000 });
  const switched = await infer(request, url, pixels);
  expect(switched.model_version).toBe("2");
});
