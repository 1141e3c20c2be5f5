import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

/** What several end-to-end tests share: the fixture models, and making Ready versions through the API. */
import { DIGITS_ONNX as DIGITS } from "../tests/fixtures/paths";

export { DIGITS_CSV } from "../tests/fixtures/paths";
export { DIGITS };
/** Where the run writes its screenshots; `npm run screenshots` copies them into docs/screenshots for the README. */
export const SCREENSHOTS = path.resolve("test-results/screenshots");

/** The digits graph with a different doc_string: other bytes (a new version), same signature and outputs. */
export async function digitsVariant(note: string): Promise<Buffer> {
  const text = Buffer.from(note, "utf8");
  const docStringField = Buffer.from([(6 << 3) | 2, text.length]);
  return Buffer.concat([await readFile(DIGITS), docStringField, text]);
}

/** Uploads a version through the API and waits until validation has made it Ready. */
export async function uploadReady(page: Page, name: string, bytes: Buffer, version: number) {
  const response = await page.request.post(`/api/models/${name}/versions`, {
    data: bytes,
    headers: { "content-type": "application/octet-stream", "x-filename": "digits.onnx" },
  });
  expect(response.status()).toBe(202);
  await expect
    .poll(async () => (await (await page.request.get(`/api/models/${name}/versions/${version}`)).json()).status, {
      timeout: 30_000,
    })
    .toBe("READY");
}
