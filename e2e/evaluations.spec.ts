import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { DIGITS, DIGITS_CSV, SCREENSHOTS, digitsVariant, uploadReady } from "./support";

/**
 * Evaluation from a user's seat: upload the digits test set to the digits model in the browser, run an
 * evaluation from the version page, read its accuracy there and in the model page's chart, then
 * evaluate a second version and compare the two, then evaluate a third from the comparison.
 */

async function evaluateOnPage(page: Page, name: string, version: number) {
  await page.goto(`/models/${name}/versions/${version}`);
  await page.getByTestId("evaluate-dataset").selectOption({ label: "digits_test (540 rows)" });
  await page.getByTestId("evaluate-start").click();
  const row = page.getByTestId("evaluation-row").first();
  await expect(row).toHaveAttribute("data-state", "SUCCEEDED", { timeout: 60_000 });
  return row;
}

test("upload a dataset, evaluate, read the accuracy on the version page and the chart, compare", async ({ page }) => {
  test.setTimeout(180_000);
  const name = `evaluate-e2e-${Date.now().toString(36)}`;
  expect((await page.request.post("/api/models", { data: { name } })).status()).toBe(201);
  const digits = await readFile(DIGITS);
  await uploadReady(page, name, digits, 1);

  await page.goto(`/models/${name}`);
  await page.getByTestId("dataset-upload-input").setInputFiles(DIGITS_CSV);
  const dataset = page.locator('[data-testid="dataset-row"][data-name="digits_test"]');
  await expect(dataset).toHaveAttribute("data-rows", "540", { timeout: 30_000 });

  const first = await evaluateOnPage(page, name, 1);
  await expect(first.getByTestId("evaluation-accuracy")).toHaveText("0.9759");
  await expect(page.getByTestId("confusion-matrix").first()).toBeVisible();
  await expect(page.getByTestId("per-class-f1-chart").first()).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, "evaluation.png"), fullPage: true });

  // A second version: the same graph with a different doc_string, so other bytes and the same outputs.
  await uploadReady(page, name, await digitsVariant("second"), 2);
  const second = await evaluateOnPage(page, name, 2);
  await expect(second.getByTestId("evaluation-accuracy")).toHaveText("0.9759");

  await page.goto(`/models/${name}`);
  const chart = page.getByTestId("accuracy-chart");
  await expect(chart.locator(".recharts-line-dots circle, .recharts-line-dot")).toHaveCount(2);
  await chart.locator(".recharts-line-dots circle, .recharts-line-dot").first().hover();
  await expect(chart.locator(".recharts-tooltip-wrapper")).toContainText("0.9759");
  await page.screenshot({ path: path.join(SCREENSHOTS, "accuracy.png"), fullPage: true });

  await page.getByTestId("compare-link").click();
  await expect(page).toHaveURL(new RegExp(`/models/${name}/compare\\?`));
  const table = page.getByTestId("compare-table");
  await expect(table).toContainText("v1");
  await expect(table).toContainText("v2");
  await expect(table).toContainText("0.9759");
  await expect(page.getByTestId("confusion-matrix")).toHaveCount(2);
  await page.screenshot({ path: path.join(SCREENSHOTS, "compare.png"), fullPage: true });

  // A third version, evaluated from the comparison itself.
  await uploadReady(page, name, await digitsVariant("third"), 3);
  await page.goto(`/models/${name}/compare?versions=1,2,3`);
  await page.getByTestId("evaluate-versions").click();
  await expect(page.getByTestId("started-evaluations").getByTestId("evaluation-row")).toHaveCount(1);
  await expect(page.getByTestId("confusion-matrix")).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId("compare-table")).toContainText("v3");
});
