import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { DIGITS, SCREENSHOTS } from "./support";

/**
 * The registry from a user's seat: create a model, upload ONNX files in the browser, watch them
 * validate, promote, see the history, and see what happens with a file that is not a model.
 */

/** Slows uploads down in Chromium so the progress bar has time to show intermediate values. */
async function throttleUploads(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return async () =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
}

async function uploadAndWaitForRow(
  page: Page,
  file: string | { name: string; mimeType: string; buffer: Buffer },
  version: number,
) {
  await page.getByTestId("upload-input").setInputFiles(file);
  const row = page.locator(`[data-testid="version-row"][data-version="${version}"]`);
  await expect(row).toBeVisible();
  return row;
}

async function promoteToProduction(page: Page) {
  await page.getByTestId("promote-production").click();
  await page.getByTestId("confirm-dialog-confirm").click();
  await expect(page.getByTestId("version-stage")).toHaveText(/Production/);
}

test("create a model, upload, validate, promote twice and see the history", async ({ page }) => {
  const name = `digits-e2e-${Date.now().toString(36)}`;
  await page.goto("/models");
  await page.getByTestId("new-model-button").click();
  await page.getByTestId("new-model-name").fill(name);
  await page.getByTestId("new-model-description").fill("8x8 handwritten digits MLP");
  await page.getByTestId("new-model-tags").fill("vision, mlp");
  await page.getByTestId("new-model-submit").click();
  await expect(page).toHaveURL(new RegExp(`/models/${name}$`));

  await page.getByTestId("upload-input").setInputFiles(DIGITS);
  await expect(page.getByTestId("upload-progress")).toBeVisible();

  const first = page.locator('[data-testid="version-row"][data-version="1"]');
  await expect(first).toHaveAttribute("data-status", "READY", { timeout: 30_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, "model.png"), fullPage: true });

  await first.getByRole("link", { name: /1/ }).first().click();
  await expect(page).toHaveURL(new RegExp(`/models/${name}/versions/1$`));
  const signature = page.getByTestId("signature-table");
  await expect(signature).toContainText("input");
  await expect(signature).toContainText("float32");
  await expect(signature).toContainText("64");
  await expect(signature).toContainText("output");
  await promoteToProduction(page);
  await page.screenshot({ path: path.join(SCREENSHOTS, "version.png"), fullPage: true });

  await page.goto(`/models/${name}`);
  const second = await uploadAndWaitForRow(page, DIGITS, 2);
  await expect(second).toHaveAttribute("data-status", "READY", { timeout: 30_000 });
  await page.goto(`/models/${name}/versions/2`);
  await promoteToProduction(page);

  await page.goto(`/models/${name}/versions/1`);
  await expect(page.getByTestId("version-stage")).toHaveText(/Archived/);
  const history = page.getByTestId("transition-row");
  await expect(history).toHaveCount(2);
  await expect(history.first()).toContainText(/Production/);
  await expect(history.first()).toContainText(/Archived/);

  await page.goto(`/models/${name}`);
  await expect(page.locator('[data-testid="version-row"][data-version="1"]')).toHaveAttribute("data-stage", "ARCHIVED");
  await expect(page.locator('[data-testid="version-row"][data-version="2"]')).toHaveAttribute(
    "data-stage",
    "PRODUCTION",
  );
});

test("the upload progress bar moves through intermediate values and can be cancelled", async ({ page }) => {
  const name = `progress-${Date.now().toString(36)}`;
  expect((await page.request.post("/api/models", { data: { name } })).status()).toBe(201);
  await page.goto(`/models/${name}`);
  // Record every value the bar shows; the upload itself is too quick to poll on loopback.
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid="upload-progress"]');
      const value = Number(bar?.getAttribute("aria-valuenow"));
      if (bar && Number.isFinite(value)) seen.push(value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
  });
  const restore = await throttleUploads(page, 4 * 1024 * 1024);
  await page.getByTestId("upload-input").setInputFiles({
    name: "large.onnx",
    mimeType: "application/octet-stream",
    buffer: Buffer.alloc(40 * 1024 * 1024, 1),
  });
  await expect
    .poll(async () =>
      page.evaluate(() =>
        (window as unknown as { progressSeen: number[] }).progressSeen.some((value) => value > 0 && value < 100),
      ),
    )
    .toBe(true);
  await page.getByTestId("upload-cancel").click();
  await restore();
  await expect(page.getByTestId("upload-dropzone")).toContainText("cancelled");
  const versions = await (await page.request.get(`/api/models/${name}/versions`)).json();
  expect(versions.items).toHaveLength(0);
});

test("a file that is not a model gets a clear error and leaves nothing broken", async ({ page }) => {
  const name = `bad-upload-${Date.now().toString(36)}`;
  const created = await page.request.post("/api/models", { data: { name } });
  expect(created.status()).toBe(201);
  await page.goto(`/models/${name}`);

  // An empty file is refused outright: no version row appears.
  await page
    .getByTestId("upload-input")
    .setInputFiles({ name: "empty.onnx", mimeType: "application/octet-stream", buffer: Buffer.alloc(0) });
  await expect(page.getByTestId("upload-error")).toContainText("the file is empty");
  await expect(page.getByTestId("version-row")).toHaveCount(0);

  // A ZIP archive named .onnx is stored, then marked Failed with the reason.
  const zip = Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(512, 0x20)]);
  const row = await uploadAndWaitForRow(
    page,
    { name: "model.onnx", mimeType: "application/octet-stream", buffer: zip },
    1,
  );
  await expect(row).toHaveAttribute("data-status", "FAILED", { timeout: 30_000 });
  await expect(row).toContainText("not an ONNX model: the file is a ZIP archive");
  const versions = await (await page.request.get(`/api/models/${name}/versions`)).json();
  expect(versions.items).toHaveLength(1);
  expect(versions.items[0]).toMatchObject({ status: "FAILED", stage: "NONE" });
});

test("the models list and jobs page show what happened", async ({ page }) => {
  await page.goto("/models");
  await expect(page.getByTestId("model-row").first()).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, "models.png"), fullPage: true });
  await page.goto("/jobs");
  await expect(page.getByTestId("job-row").first()).toBeVisible();
  await expect(page.locator('[data-testid="job-row"][data-state="SUCCEEDED"]').first()).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, "jobs.png"), fullPage: true });
});
