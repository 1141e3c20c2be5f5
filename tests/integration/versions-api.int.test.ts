import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { getQueue, QueueName, sendToQueue } from "@/lib/jobs";
import { db } from "@/lib/db";
import { pageSchema, versionSummarySchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { expectError, storedFiles } from "../fixtures/assertions";
import {
  createModel,
  DIGITS_ONNX,
  getVersion,
  promote,
  readyVersion,
  uploadBytes,
  uploadVersion,
  waitForValidation,
} from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";

// Small enough to exceed cheaply, large enough for the shared models.
const UPLOAD_LIMIT = 200_000;
process.env.MAX_UPLOAD_BYTES = String(UPLOAD_LIMIT);

startValidateWorkerForFile();

describe("versions API", () => {
  it("uploads an ONNX file, validates it in the worker and shows its signature", async () => {
    const model = await createModel();
    const uploaded = await uploadVersion(model.name);
    expect(uploaded).toMatchObject({
      version: 1,
      status: "PENDING",
      stage: "NONE",
      originalFilename: "digits_mlp.onnx",
    });
    const bytes = await readFile(DIGITS_ONNX);
    expect(uploaded.sizeBytes).toBe(bytes.length);

    const detail = await waitForValidation(model.name, 1);
    expect(detail.status).toBe("READY");
    expect(detail.format).toBe("ONNX");
    expect(detail.opset).toBe(17);
    expect(detail.signature?.inputs).toEqual([{ name: "input", dtype: "float32", shape: [expect.any(String), 64] }]);
    expect(detail.signature?.outputs).toEqual([{ name: "output", dtype: "float32", shape: [expect.any(String), 10] }]);
    expect(detail.parameterCount).toBeGreaterThan(0);
    expect(detail.sourceDetail).toEqual({ filename: "digits_mlp.onnx" });

    const download = await api("GET", `/api/models/${model.name}/versions/1/artifact`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain(`${model.name}-v1.onnx`);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("accepts multipart uploads with description and tags", async () => {
    const model = await createModel();
    const form = new FormData();
    form.set("description", "from a notebook");
    form.set("tags", "mlp, digits");
    form.set("file", new Blob([await readFile(DIGITS_ONNX)]), "digits.onnx");
    const response = await api("POST", `/api/models/${model.name}/versions`, { body: form });
    expect(response.status).toBe(202);
    const version = versionSummarySchema.parse(await response.json());
    expect(version).toMatchObject({
      description: "from a notebook",
      tags: ["mlp", "digits"],
      originalFilename: "digits.onnx",
    });
  });

  it("lists versions newest first and updates description and tags", async () => {
    const model = await createModel();
    await uploadVersion(model.name);
    await uploadVersion(model.name);
    const page = pageSchema(versionSummarySchema).parse(
      await (await api("GET", `/api/models/${model.name}/versions`)).json(),
    );
    expect(page.items.map((item) => item.version)).toEqual([2, 1]);
    expect(page.total).toBe(2);
    const patched = await api("PATCH", `/api/models/${model.name}/versions/1`, {
      json: { description: "baseline", tags: ["a"] },
    });
    expect(patched.status).toBe(200);
    expect((await getVersion(model.name, 1)).description).toBe("baseline");
  });

  it("gives concurrent uploads to one model distinct version numbers", async () => {
    const model = await createModel();
    const bytes = await readFile(DIGITS_ONNX);
    const responses = await Promise.all(Array.from({ length: 8 }, () => uploadBytes(model.name, bytes)));
    const versions = await Promise.all(
      responses.map(async (response) => versionSummarySchema.parse(await response.json()).version),
    );
    expect(versions.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Same bytes are stored once.
    const artifacts = await db().artifact.count({ where: { sha256: (await getVersion(model.name, 1)).sha256 } });
    expect(artifacts).toBe(1);
  });

  it("fails files that are not usable models with a reason a person can act on", async () => {
    const model = await createModel();
    const digits = await readFile(DIGITS_ONNX);
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 1)]);
    const hdf5 = Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919 + 13) % 251));
    const cases: [Buffer, RegExp][] = [
      [zip, /^not an ONNX model: the file is a ZIP archive/],
      [hdf5, /^unsupported format: Keras HDF5/],
      [digits.subarray(0, Math.floor(digits.length / 2)), /truncated|not an ONNX/],
      [random, /ONNX/],
    ];
    for (const [bytes, message] of cases) {
      const response = await uploadBytes(model.name, bytes, "upload.bin");
      expect(response.status).toBe(202);
      const { version } = versionSummarySchema.parse(await response.json());
      const detail = await waitForValidation(model.name, version);
      expect(detail.status).toBe("FAILED");
      expect(detail.statusMessage).toMatch(message);
      const jobs = await db().job.findMany({ where: { versionId: detail.id } });
      expect(jobs.map((job) => [job.state, job.error])).toEqual([["FAILED", detail.statusMessage]]);
      await expectError(await promote(model.name, version, "PRODUCTION"), 409, /failed validation/);
    }
  });

  it("rejects an empty file and leaves no version and no file", async () => {
    const model = await createModel();
    const filesBefore = await storedFiles();
    await expectError(await uploadBytes(model.name, new Uint8Array()), 400, /the file is empty/);
    expect(await db().modelVersion.count({ where: { modelId: model.id } })).toBe(0);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it("answers 413 over the size limit and leaves nothing behind", async () => {
    const model = await createModel();
    const filesBefore = await storedFiles();
    const tooBig = Buffer.alloc(UPLOAD_LIMIT + 1, 7);
    await expectError(await uploadBytes(model.name, tooBig), 413, /larger than the upload limit of 195 KiB/);
    // Without a Content-Length the limit is enforced while streaming.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent <= UPLOAD_LIMIT; sent += 64 * 1024) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    });
    await expectError(await uploadBytes(model.name, chunks as never), 413, /upload limit/);
    expect(await db().modelVersion.count({ where: { modelId: model.id } })).toBe(0);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it("rejects JSON bodies and unknown models on upload", async () => {
    const model = await createModel();
    await expectError(
      await api("POST", `/api/models/${model.name}/versions`, { json: { file: "x" } }),
      415,
      /raw request body/,
    );
    await expectError(
      await uploadBytes("no-such-model", Buffer.from("abc")),
      404,
      /model 'no-such-model' was not found/,
    );
    await expectError(await api("GET", `/api/models/${model.name}/versions/abc`), 400, /not a version number/);
    await expectError(await api("GET", `/api/models/${model.name}/versions/99`), 404, /version 99/);
  });

  it("deletes a version that is not in Production, and refuses one that is", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    const second = await readyVersion(model.name);
    expect((await promote(model.name, 1, "PRODUCTION")).status).toBe(200);
    await expectError(await api("DELETE", `/api/models/${model.name}/versions/1`), 409, /in Production/);
    expect((await api("DELETE", `/api/models/${model.name}/versions/2`)).status).toBe(204);
    await expectError(await api("GET", `/api/models/${model.name}/versions/2`), 404, /version 2/);
    // The artifact is shared with version 1, so it stays.
    expect(await db().artifact.count({ where: { sha256: second.sha256 } })).toBe(1);
    await expectError(await api("DELETE", `/api/models/${model.name}`), 409, /in Production/);
  });

  it("gives the same result when a validate job is delivered twice", async () => {
    const model = await createModel();
    const first = await readyVersion(model.name);
    const job = await db().job.findFirstOrThrow({ where: { versionId: first.id } });
    // Redelivery after a worker died before acknowledging: the row is back in QUEUED, the job is sent again.
    await db().job.update({ where: { id: job.id }, data: { state: "QUEUED" } });
    await getQueue(QueueName.Validate).remove(job.id);
    expect(await sendToQueue(QueueName.Validate, { jobId: job.id, versionId: first.id })).toBe(true);
    await expect
      .poll(async () => (await db().job.findUniqueOrThrow({ where: { id: job.id } })).state, { timeout: 30_000 })
      .toBe("SUCCEEDED");
    const again = await getVersion(model.name, first.version);
    expect(again.updatedAt >= first.updatedAt).toBe(true);
    const { updatedAt: _before, ...firstRest } = first;
    const { updatedAt: _after, ...againRest } = again;
    expect(againRest).toEqual(firstRest);
  });
});
