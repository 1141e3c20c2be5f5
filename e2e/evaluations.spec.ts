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

/** A model with digits v1 Ready and the digits test set with a leading `id` column (65 feature columns). */
async function digitsWithIdColumn(page: Page, prefix: string) {
  const name = `${prefix}-${Date.now().toString(36)}`;
  expect((await page.request.post("/api/models", { data: { name } })).status()).toBe(201);
  await uploadReady(page, name, await readFile(DIGITS), 1);
  const [header, ...rows] = (await readFile(DIGITS_CSV, "utf8")).trim().split("\n");
  const csv = [`id,${header}`, ...rows.map((row, index) => `${index + 1},${row}`)].join("\n");
  const upload = await page.request.post(`/api/models/${name}/datasets`, {
    data: Buffer.from(csv),
    headers: { "content-type": "text/csv", "x-filename": "digits_with_id.csv" },
  });
  expect(upload.status()).toBe(201);
  return name;
}

test("a dataset whose columns do not map automatically is mapped by hand and evaluated", async ({ page }) => {
  test.setTimeout(120_000);
  const name = await digitsWithIdColumn(page, "mapping-e2e");
  await page.goto(`/models/${name}/versions/1`);
  await expect(page.getByTestId("mapping-automatic-refused")).toContainText(
    "takes 64 values per row but the dataset has 65 feature columns besides the label",
  );

  // The form starts from the first 64 columns (id … p62); move the range one column on.
  const input = page.locator('[data-testid="mapping-input"][data-input="input"]');
  await expect(input).toContainText("takes 64 values per row");
  await input.getByLabel("First column").selectOption("p0");
  await expect(page.getByTestId("mapping-check")).toHaveText(
    "input 'input' takes 64 values per row but 63 columns were mapped to it",
  );
  await expect(input.getByTestId("mapping-count")).toHaveText("63 columns chosen; the input needs 64");
  await input.getByLabel("Last column").selectOption("p63");
  await expect(input.getByTestId("mapping-count")).toHaveText("64 columns chosen, as the input needs");
  await expect(page.getByTestId("mapping-check")).toContainText("The mapping fits the model");

  // Typed by hand, a wrong name is refused by the planner here and by the API on Start, naming it.
  await input.getByRole("radio", { name: "A list of columns, in order" }).check();
  const list = input.getByLabel("Columns, in the order they fill the input");
  const pixels = Array.from({ length: 64 }, (_, index) => `p${index}`);
  await expect(list).toHaveValue(pixels.join(", "));
  await list.fill([...pixels.slice(0, 63), "p64"].join(", "));
  const refusal = "column 'p64' (mapped to input 'input') is not in the dataset";
  await expect(page.getByTestId("mapping-check")).toHaveText(refusal);
  await page.getByTestId("evaluate-start").click();
  await expect(page.getByTestId("evaluate-error")).toHaveText(refusal);
  await expect(page.getByTestId("evaluation-row")).toHaveCount(0);

  await list.fill(pixels.join("\n"));
  await page.getByLabel("Task", { exact: true }).selectOption("CLASSIFICATION");
  await expect(page.getByTestId("mapping-check")).toContainText("classification of output output against label");
  await page.getByTestId("evaluate-start").click();
  const row = page.getByTestId("evaluation-row").first();
  await expect(row).toHaveAttribute("data-state", "SUCCEEDED", { timeout: 60_000 });
  await expect(row.getByTestId("evaluation-accuracy")).toHaveText("0.9759");
  await page.screenshot({ path: path.join(SCREENSHOTS, "evaluation-mapping.png"), fullPage: true });
});

test("the evaluations of a version are paged, and a new one shows on page 1 as it runs", async ({ page }) => {
  test.setTimeout(180_000);
  const name = await digitsWithIdColumn(page, "evaluations-pages-e2e");
  const datasets = await (await page.request.get(`/api/models/${name}/datasets`)).json();
  const datasetId = datasets.items[0].id as string;
  const pixels = Array.from({ length: 64 }, (_, index) => `p${index}`);
  for (let index = 0; index < 21; index++) {
    const started = await page.request.post(`/api/models/${name}/versions/1/evaluations`, {
      data: { datasetId, inputs: { input: pixels } },
    });
    expect(started.status()).toBe(202);
  }

  await page.goto(`/models/${name}/versions/1`);
  const evaluations = page.locator("#evaluations");
  await expect(evaluations.getByTestId("evaluation-row")).toHaveCount(20);
  const pagination = evaluations.getByRole("navigation", { name: "Pagination" });
  await expect(pagination).toContainText("1–20 of 21 evaluations");
  await pagination.getByTestId("pagination-next").click();
  await expect(page).toHaveURL(/evaluationsPage=2/);
  await expect(evaluations.getByTestId("evaluation-row")).toHaveCount(1);
  await expect(pagination).toContainText("21–21 of 21 evaluations");
  // Older evaluations finish while we look: the page polls and shows it.
  await expect(evaluations.getByTestId("evaluation-row")).toHaveAttribute("data-state", "SUCCEEDED", {
    timeout: 60_000,
  });

  // Started from page 2, the new evaluation is the newest: the list goes back to page 1 and follows it.
  await evaluations.getByLabel("First column").selectOption("p0");
  await evaluations.getByLabel("Last column").selectOption("p63");
  await page.getByTestId("evaluate-start").click();
  await expect(page).not.toHaveURL(/evaluationsPage/);
  await expect(pagination).toContainText("1–20 of 22 evaluations");
  await expect(evaluations.getByTestId("evaluation-row").first()).toHaveAttribute("data-state", "SUCCEEDED", {
    timeout: 60_000,
  });
});
