import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { api } from "../fixtures/api";
import { expectError, storedFiles } from "../fixtures/assertions";
import { createModel, DIGITS_ONNX, uploadBytes } from "../fixtures/registry";

// Small, so the boundary costs nothing to cross.
const UPLOAD_LIMIT = 150_000;
process.env.MAX_UPLOAD_BYTES = String(UPLOAD_LIMIT);

/** A multipart body the way Chromium and Safari write it: the boundary has upper-case letters. */
function browserMultipart(file: Buffer, fields: Record<string, string>) {
  const boundary = "----WebKitFormBoundaryAbC123xYz";
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const body = Buffer.concat([
    Buffer.from(parts.join("")),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="digits.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe("model uploads", () => {
  it("takes a multipart upload whose boundary has upper-case letters, as Chrome and Safari send it", async () => {
    const model = await createModel();
    const bytes = await readFile(DIGITS_ONNX);
    const { body, contentType } = browserMultipart(bytes, { description: "from Chrome", tags: "a, b" });
    const response = await api("POST", `/api/models/${model.name}/versions`, {
      body,
      headers: { "content-type": contentType },
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      version: 1,
      description: "from Chrome",
      tags: ["a", "b"],
      originalFilename: "digits.onnx",
      sizeBytes: bytes.length,
    });
  });

  it("accepts a file of exactly the limit and refuses one byte more, saying the limit and why", async () => {
    const model = await createModel();
    const accepted = await uploadBytes(model.name, Buffer.alloc(UPLOAD_LIMIT, 1));
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ sizeBytes: UPLOAD_LIMIT });

    const filesBefore = await storedFiles();
    await expectError(
      await uploadBytes(model.name, Buffer.alloc(UPLOAD_LIMIT + 1, 2)),
      413,
      /^the file is larger than the upload limit of 146 KiB \(150000 bytes\), set by MAX_UPLOAD_BYTES$/,
    );
    // Multipart is held to the same limit.
    const { body, contentType } = browserMultipart(Buffer.alloc(UPLOAD_LIMIT + 1, 3), {});
    await expectError(
      await api("POST", `/api/models/${model.name}/versions`, { body, headers: { "content-type": contentType } }),
      413,
      /upload limit of 146 KiB \(150000 bytes\), set by MAX_UPLOAD_BYTES/,
    );
    expect(await db().modelVersion.count({ where: { modelId: model.id } })).toBe(1);
    expect(await storedFiles()).toEqual(filesBefore);
  });
});
