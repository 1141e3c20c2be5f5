import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { artifactStore } from "@/lib/artifacts";
import { db } from "@/lib/db";
import { datasetDtoSchema, readDatasetRows, type DatasetChunk, type DatasetDto } from "@/lib/datasets";
import { pageSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { expectError, storedFiles } from "../fixtures/assertions";
import {
  BREAST_CANCER_CSV,
  csvToJsonLines,
  DIGITS_CSV,
  parseSimpleCsv,
  uploadDataset,
  uploadDatasetBytes,
} from "../fixtures/datasets";
import { createModel, uploadVersion } from "../fixtures/registry";

// Room for the generated "large" file, small enough to exceed cheaply.
const DATASET_LIMIT = 48 * 1024 ** 2;
process.env.MAX_DATASET_BYTES = String(DATASET_LIMIT);

const digitsText = await readFile(DIGITS_CSV, "utf8");
const digits = parseSimpleCsv(digitsText);
const FEATURES = digits.header.slice(0, 64);

/** What the profile must say about a simple numeric CSV, computed the obvious way. */
function expectedProfile({ header, rows }: { header: string[]; rows: string[][] }) {
  return {
    rowCount: rows.length,
    columns: header.map((name, index) => {
      const values = rows.map((row) => Number(row[index]));
      return { name, kind: "number", min: Math.min(...values), max: Math.max(...values), missing: 0 };
    }),
    labelColumn: "label",
    preview: rows.slice(0, 10).map((row) => row.map(Number)),
  };
}

const profileOf = (dataset: DatasetDto) => ({
  rowCount: dataset.rowCount,
  columns: dataset.columns,
  labelColumn: dataset.labelColumn,
  preview: dataset.preview,
});

/** A small CSV no other test uploads, so its artifact is this test's alone. */
async function uploadUniqueDataset(modelName: string): Promise<DatasetDto> {
  const csv = `x,label\n${randomUUID().replace(/\D/g, "").slice(0, 12)},1\n`;
  const response = await uploadDatasetBytes(modelName, Buffer.from(csv), "unique.csv");
  expect(response.status).toBe(201);
  return datasetDtoSchema.parse(await response.json());
}

async function getDataset(modelName: string, id: string): Promise<Response> {
  return api("GET", `/api/models/${modelName}/datasets/${id}`);
}

async function collect<D extends "float32" | "float64">(chunks: AsyncIterable<DatasetChunk<D>>) {
  const all: DatasetChunk<D>[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

/** The digits rows as the reader must return them: features row-major, labels as numbers. */
function digitsValues(fromRow = 0) {
  const rows = digits.rows.slice(fromRow);
  return {
    features: rows.flatMap((row) => row.slice(0, 64).map(Number)),
    labels: rows.map((row) => Number(row[64])),
  };
}

function concatenated(chunks: DatasetChunk<"float32" | "float64">[]) {
  return {
    features: chunks.flatMap((chunk) => Array.from(chunk.features)),
    labels: chunks.flatMap((chunk) => chunk.labels),
  };
}

describe("datasets API", () => {
  it("profiles an uploaded CSV: row count, columns with ranges, label column and preview", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name, DIGITS_CSV);
    expect(dataset).toMatchObject({
      modelName: model.name,
      name: "digits_test",
      format: "CSV",
      sizeBytes: Buffer.byteLength(digitsText),
      rowCount: 540,
      labelColumn: "label",
      createdBy: "local",
    });
    expect(dataset.columns).toHaveLength(65);
    expect(profileOf(dataset)).toEqual(expectedProfile(digits));
    expect(datasetDtoSchema.parse(await (await getDataset(model.name, dataset.id)).json())).toEqual(dataset);
    // The name works in place of the id.
    expect((await getDataset(model.name, "digits_test")).status).toBe(200);

    const download = await api("GET", `/api/models/${model.name}/datasets/${dataset.id}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="digits_test.csv"');
    expect(await download.text()).toBe(digitsText);
  });

  it("accepts multipart uploads with a name and a label column", async () => {
    const model = await createModel();
    const bytes = await readFile(BREAST_CANCER_CSV);
    const form = new FormData();
    form.set("name", "cancer");
    form.set("labelColumn", "mean_radius");
    form.set("file", new Blob([bytes], { type: "text/csv" }), "breast_cancer_test.csv");
    const response = await api("POST", `/api/models/${model.name}/datasets`, { body: form });
    expect(response.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await response.json());
    const breastCancer = parseSimpleCsv(bytes.toString());
    expect(dataset).toMatchObject({ name: "cancer", rowCount: 171, labelColumn: "mean_radius" });
    expect(dataset.columns.map((column) => column.name)).toEqual(breastCancer.header);
    expect(breastCancer.header).toHaveLength(31);
    expect(dataset.columns).toEqual(expectedProfile(breastCancer).columns);
  });

  it("profiles the same table as JSON Lines exactly like the CSV", async () => {
    const model = await createModel();
    const csv = await uploadDataset(model.name, DIGITS_CSV);
    const response = await uploadDatasetBytes(model.name, Buffer.from(csvToJsonLines(digitsText)), "digits.jsonl", {
      contentType: "application/x-ndjson",
    });
    expect(response.status).toBe(201);
    const jsonl = datasetDtoSchema.parse(await response.json());
    expect(jsonl.format).toBe("JSONL");
    expect(jsonl.name).toBe("digits");
    expect(profileOf(jsonl)).toEqual(profileOf(csv));
  });

  it("records string columns and keeps their text in the preview", async () => {
    const model = await createModel();
    const csv = "id,x,species\n007,1.5,setosa\nA12,2,virginica\n031,,setosa\n";
    const response = await uploadDatasetBytes(model.name, Buffer.from(csv), "iris.csv", {
      query: { labelColumn: "species" },
      contentType: "text/csv",
    });
    expect(response.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await response.json());
    expect(dataset.columns).toEqual([
      { name: "id", kind: "string", missing: 0 },
      { name: "x", kind: "number", min: 1.5, max: 2, missing: 1 },
      { name: "species", kind: "string", missing: 0 },
    ]);
    expect(dataset.labelColumn).toBe("species");
    expect(dataset.preview).toEqual([
      ["007", 1.5, "setosa"],
      ["A12", 2, "virginica"],
      ["031", null, "setosa"],
    ]);
    const [chunk] = await collect(readDatasetRows(dataset, { columns: ["x"], chunkRows: 10 }));
    expect(Array.from(chunk!.features)).toEqual([1.5, 2, NaN]);
    expect(chunk!.labels).toEqual(["setosa", "virginica", "setosa"]);
    await expect(collect(readDatasetRows(dataset, { columns: ["x", "id"], chunkRows: 10 }))).rejects.toThrow(
      /^column 'id' of dataset 'iris' holds text, so it cannot feed a numeric model input$/,
    );
  });

  it("refuses bad files with a message saying what and where, leaving no row and no file", async () => {
    const model = await createModel();
    const filesBefore = await storedFiles();
    const header = digits.header.join(",");
    const row = digits.rows[0]!.join(",");
    const cases: {
      body: string | Buffer;
      filename?: string;
      query?: Record<string, string>;
      status: number;
      message: RegExp;
    }[] = [
      {
        body: `${header}\n${row}\n${row}\n${row.split(",").slice(1).join(",")}\n`,
        status: 400,
        message: /^line 4 has 64 fields, but the header has 65$/,
      },
      { body: "", status: 400, message: /^the file is empty$/ },
      { body: "\n\n", status: 400, message: /^the file is empty$/ },
      { body: `${header}\n`, status: 400, message: /^the file has a header \(65 columns\) but no data rows$/ },
      { body: "a,b,a\n1,2,3\n", status: 400, message: /^the column name 'a' appears twice \(columns 1 and 3\)$/ },
      {
        body: digitsText,
        query: { labelColumn: "digit" },
        status: 400,
        message: /^there is no column named 'digit' to be the label; the columns are p0, p1/,
      },
      {
        body: '{"x": 1, "label": 0}\n{"x": 2, "label": 1}\n[3, 1]\n',
        filename: "d.jsonl",
        status: 400,
        message: /^line 3 is not a JSON object \(it is an array\)$/,
      },
      {
        body: '{"x": 1, "label": 0}\n{"x": 2, "y": 1}\n',
        filename: "d.jsonl",
        status: 400,
        message: /^line 2 has different keys from line 1: missing 'label'; unexpected 'y'$/,
      },
      { body: 'x,label\n1,2\nnot closed,"3\n', status: 400, message: /^line 3: a quoted field is never closed$/ },
      {
        body: await readFile(`${DIGITS_CSV.replace(/digits_test\.csv$/, "digits_mlp.onnx")}`),
        filename: "model.onnx",
        status: 400,
        message: /^the file is not CSV or JSON Lines: it holds binary data/,
      },
      {
        body: digitsText,
        query: { name: "no spaces allowed" },
        status: 400,
        message: /^name: the dataset name may contain only/,
      },
    ];
    for (const { body, filename = "data.csv", query, status, message } of cases) {
      await expectError(await uploadDatasetBytes(model.name, Buffer.from(body), filename, { query }), status, message);
    }
    const form = new FormData();
    form.set("file", new Blob(["x,label\n1,0\n2\n"]), "ragged.csv");
    await expectError(
      await api("POST", `/api/models/${model.name}/datasets`, { body: form }),
      400,
      /^line 3 has 1 field, but the header has 2$/,
    );
    await expectError(
      await api("POST", `/api/models/${model.name}/datasets`, { json: { rows: [] } }),
      415,
      /^send the dataset as the raw request body \(Content-Type: text\/csv, application\/jsonl/,
    );
    await expectError(
      await uploadDatasetBytes("no-such-model", Buffer.from(digitsText), "d.csv"),
      404,
      /model 'no-such-model'/,
    );
    expect(await db().dataset.count({ where: { modelId: model.id } })).toBe(0);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it("refuses hostile files a person can fix with a 400 saying why, fast, leaving no row and no file", async () => {
    const model = await createModel();
    const filesBefore = await storedFiles();
    const deep = 100_000;
    const wide = Array.from({ length: 100_000 }, (_, index) => `c${index}`);
    const cases: { what: string; body: string; filename: string; message: RegExp }[] = [
      {
        what: "JSON Lines nested 100,000 deep",
        body: `{"x": ${"[".repeat(deep)}${"]".repeat(deep)}, "label": 0}\n`,
        filename: "deep.jsonl",
        message: /^line 1: 'x' holds arrays nested more than 16 deep$/,
      },
      {
        what: "JSON Lines with a NUL key",
        body: '{"\\u0000": 1, "label": 0}\n',
        filename: "nul.jsonl",
        message: /^the name of column 1 contains a NUL character \(\\u0000\) at character 1, which cannot be stored$/,
      },
      {
        what: "JSON Lines with a lone surrogate in a key",
        body: '{"a\\ud800": 1, "label": 0}\n',
        filename: "surrogate.jsonl",
        message: /^the name of column 1 contains a lone UTF-16 surrogate \(\\uD800\) at character 2/,
      },
      {
        what: "a 100,000-column CSV",
        body: `${wide.join(",")},label\n${wide.map(() => "1").join(",")},0\n`,
        filename: "wide.csv",
        message: /^the file has 100001 columns; at most 10000 are supported \(MAX_DATASET_COLUMNS\)$/,
      },
      {
        what: "a JSON line that flattens to 100,000 columns",
        body: `{"x": [${wide.map(() => "1").join(",")}], "label": 0}\n`,
        filename: "wide.jsonl",
        message: /^line 1 has more than 10000 values \(arrays count one column per element\)/,
      },
      {
        what: "a 2,000-character column name",
        body: `${"n".repeat(2000)},label\n1,0\n`,
        filename: "long-name.csv",
        message: /^the name of column 1 is 2000 characters long; at most 1000 are supported$/,
      },
    ];
    for (const { what, body, filename, message } of cases) {
      const started = performance.now();
      const response = await uploadDatasetBytes(model.name, Buffer.from(body), filename);
      const elapsedMs = performance.now() - started;
      await expectError(response, 400, message);
      expect(elapsedMs, what).toBeLessThan(3000);
    }
    expect(await db().dataset.count({ where: { modelId: model.id } })).toBe(0);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it("keeps text the database cannot store, and very long cells, out of the preview but in the file", async () => {
    const model = await createModel();
    const long = "w".repeat(100_000);
    const body = `{"note": "a\\u0000b", "other": "x\\udfffy", "long": "${long}", "label": 0}\n`;
    const response = await uploadDatasetBytes(model.name, Buffer.from(body), "text.jsonl");
    expect(response.status, await response.clone().text()).toBe(201);
    const dataset = datasetDtoSchema.parse(await response.json());
    expect(dataset.preview).toEqual([["a\uFFFDb", "x\uFFFDy", `${"w".repeat(200)}…`, 0]]);
    const download = await api("GET", `/api/models/${model.name}/datasets/${dataset.id}/download`);
    expect(await download.text()).toBe(body);
  });

  it("answers 413 past the size limit while streaming, leaving nothing behind", async () => {
    const model = await createModel();
    const filesBefore = await storedFiles();
    const block = Buffer.from("1,2,3,4\n".repeat(8192));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from("a,b,c,label\n"));
        for (let sent = 0; sent <= DATASET_LIMIT; sent += block.length) controller.enqueue(block);
        controller.close();
      },
    });
    await expectError(
      await uploadDatasetBytes(model.name, body, "big.csv"),
      413,
      /larger than the upload limit of 48 MiB/,
    );
    expect(await db().dataset.count({ where: { modelId: model.id } })).toBe(0);
    expect(await storedFiles()).toEqual(filesBefore);
  });

  it("streams a large generated file and profiles it", async () => {
    const model = await createModel();
    const rows = 100_000;
    const header = `${FEATURES.join(",")},label\n`;
    const lineFor = (index: number) =>
      `${FEATURES.map((_, column) => (index * 7 + column * 13) % 17).join(",")},${index % 10}\n`;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from(header));
        if (sent >= rows) return controller.close();
        const batch: string[] = [];
        for (const end = Math.min(rows, sent + 1000); sent < end; sent++) batch.push(lineFor(sent));
        controller.enqueue(Buffer.from(batch.join("")));
      },
    });
    const response = await uploadDatasetBytes(model.name, body, "generated.csv");
    expect(response.status).toBe(201);
    const dataset = datasetDtoSchema.parse(await response.json());
    expect(dataset.rowCount).toBe(rows);
    expect(dataset.columns[0]).toEqual({ name: "p0", kind: "number", min: 0, max: 16, missing: 0 });
    expect(dataset.columns[64]).toEqual({ name: "label", kind: "number", min: 0, max: 9, missing: 0 });
    let read = 0;
    for await (const chunk of readDatasetRows(dataset, { columns: FEATURES, chunkRows: 4096, dtype: "float32" })) {
      expect(chunk.features[5 * 64 + 3]).toBe(((chunk.rowOffset + 5) * 7 + 3 * 13) % 17);
      read += chunk.rows;
    }
    expect(read).toBe(rows);
  });

  it("names datasets after the file, made unique, and stores the same bytes once", async () => {
    const model = await createModel();
    const first = await uploadDataset(model.name);
    const second = await uploadDataset(model.name);
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => uploadDataset(model.name)));
    expect([first, second, ...concurrent].map((dataset) => dataset.name).sort()).toEqual([
      "digits_test",
      "digits_test-2",
      "digits_test-3",
      "digits_test-4",
      "digits_test-5",
      "digits_test-6",
    ]);
    expect(new Set([first, second, ...concurrent].map((dataset) => dataset.sha256)).size).toBe(1);
    // Different bytes under one file name: the uploads race for names and each gets its own.
    const racing = await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        uploadDatasetBytes(model.name, Buffer.from(`x,label\n${index},1\n`), "same.csv"),
      ),
    );
    const racedNames = await Promise.all(
      racing.map(async (response) => datasetDtoSchema.parse(await response.json()).name),
    );
    expect(racedNames.sort()).toEqual(["same", "same-2", "same-3", "same-4"]);
    expect(await db().artifact.count({ where: { sha256: first.sha256 } })).toBe(1);
    await expectError(
      await uploadDatasetBytes(model.name, await readFile(DIGITS_CSV), "x.csv", { query: { name: "digits_test" } }),
      409,
      /already has a dataset named 'digits_test'/,
    );

    const page = pageSchema(datasetDtoSchema).parse(
      await (await api("GET", `/api/models/${model.name}/datasets?pageSize=2`)).json(),
    );
    expect(page.total).toBe(10);
    expect(page.items).toHaveLength(2);
    expect(page.items[0]!.createdAt >= page.items[1]!.createdAt).toBe(true);
  });

  it("renames and sets or clears the label column, which must exist", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name);
    await uploadDataset(model.name, BREAST_CANCER_CSV);
    const patch = (json: unknown) => api("PATCH", `/api/models/${model.name}/datasets/${dataset.id}`, { json });

    const renamed = datasetDtoSchema.parse(await (await patch({ name: "digits-holdout", labelColumn: "p3" })).json());
    expect(renamed).toMatchObject({ name: "digits-holdout", labelColumn: "p3" });
    expect(datasetDtoSchema.parse(await (await patch({ labelColumn: null })).json()).labelColumn).toBeNull();
    await expectError(await patch({ labelColumn: "digit" }), 400, /^there is no column named 'digit' to be the label/);
    await expectError(
      await patch({ name: "breast_cancer_test" }),
      409,
      /already has a dataset named 'breast_cancer_test'/,
    );
    await expectError(await patch({ rowCount: 3 }), 400, /Unrecognized key/);
    expect(datasetDtoSchema.parse(await (await getDataset(model.name, dataset.id)).json())).toMatchObject({
      name: "digits-holdout",
      labelColumn: null,
    });
    await expectError(await getDataset(model.name, "digits_test"), 404, /dataset 'digits_test' of model/);
  });

  it("deletes a dataset and releases its file once nothing else uses it", async () => {
    const model = await createModel();
    const first = await uploadUniqueDataset(model.name);
    const second = datasetDtoSchema.parse(
      await (
        await uploadDatasetBytes(
          model.name,
          Buffer.from(
            await (await api("GET", `/api/models/${model.name}/datasets/${first.id}/download`)).arrayBuffer(),
          ),
          "again.csv",
        )
      ).json(),
    );
    expect(second.sha256).toBe(first.sha256);
    const path = artifactStore().localPath(first.sha256);
    expect((await api("DELETE", `/api/models/${model.name}/datasets/${first.id}`)).status).toBe(204);
    await expectError(await getDataset(model.name, first.id), 404, /was not found/);
    expect(await artifactStore().exists(first.sha256)).toBe(true);
    expect((await api("DELETE", `/api/models/${model.name}/datasets/${second.id}`)).status).toBe(204);
    expect(await db().artifact.count({ where: { sha256: first.sha256 } })).toBe(0);
    expect(await artifactStore().exists(first.sha256)).toBe(false);
    expect((await storedFiles()).some((file) => path.endsWith(file))).toBe(false);
  });

  it("refuses to delete a dataset while an evaluation of it is queued or running", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name);
    const version = await uploadVersion(model.name);
    const job = await db().job.create({
      data: { kind: "EVALUATE", state: "QUEUED", versionId: version.id, createdBy: "test" },
    });
    await db().evaluation.create({
      data: {
        versionId: version.id,
        datasetId: dataset.id,
        jobId: job.id,
        task: "CLASSIFICATION",
        mapping: {},
        rowsTotal: dataset.rowCount,
        createdBy: "test",
      },
    });
    const remove = () => api("DELETE", `/api/models/${model.name}/datasets/${dataset.id}`);
    for (const state of ["QUEUED", "RUNNING"] as const) {
      await db().job.update({ where: { id: job.id }, data: { state } });
      await expectError(
        await remove(),
        409,
        new RegExp(
          `^dataset 'digits_test' is used by an evaluation of version 1 \\(job ${job.id} is ${state.toLowerCase()}\\)`,
        ),
      );
    }
    await db().job.update({ where: { id: job.id }, data: { state: "SUCCEEDED" } });
    expect((await remove()).status).toBe(204);
    expect(await db().evaluation.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("releases the files of a model's datasets when the model is deleted", async () => {
    const model = await createModel();
    const dataset = await uploadUniqueDataset(model.name);
    expect((await api("DELETE", `/api/models/${model.name}`)).status).toBe(204);
    expect(await db().dataset.count({ where: { id: dataset.id } })).toBe(0);
    expect(await db().artifact.count({ where: { sha256: dataset.sha256 } })).toBe(0);
    expect(await artifactStore().exists(dataset.sha256)).toBe(false);
  });
});

describe("OpenAPI document", () => {
  it("describes the dataset routes", async () => {
    const { openApiDocument } = await import("@/lib/api/openapi");
    const { paths } = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(paths["/api/models/{name}/datasets"]!)).toEqual(expect.arrayContaining(["get", "post"]));
    expect(Object.keys(paths["/api/models/{name}/datasets/{id}"]!)).toEqual(
      expect.arrayContaining(["get", "patch", "delete"]),
    );
    expect(paths["/api/models/{name}/datasets/{id}/download"]).toHaveProperty("get");
  });
});

describe("readDatasetRows", () => {
  it("yields the exact values of the CSV in chunks", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name);
    const chunks = await collect(readDatasetRows(dataset, { columns: FEATURES, chunkRows: 128 }));
    expect(chunks.map((chunk) => [chunk.rowOffset, chunk.rows])).toEqual([
      [0, 128],
      [128, 128],
      [256, 128],
      [384, 128],
      [512, 28],
    ]);
    expect(chunks.every((chunk) => chunk.features instanceof Float64Array)).toBe(true);
    expect(
      chunks.every((chunk) => chunk.features.length === chunk.rows * 64 && chunk.columns === chunks[0]!.columns),
    ).toBe(true);
    expect(concatenated(chunks)).toEqual(digitsValues());
  });

  it("reads columns in the order asked, as float32 when asked", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name);
    const columns = ["p9", "p1"];
    const chunks = await collect(
      readDatasetRows(dataset, { columns, labelColumn: null, chunkRows: 1000, dtype: "float32" }),
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.features).toBeInstanceOf(Float32Array);
    expect(chunks[0]!.labels).toEqual([]);
    expect(Array.from(chunks[0]!.features)).toEqual(
      digits.rows.flatMap((row) => [Math.fround(Number(row[9])), Math.fround(Number(row[1]))]),
    );
  });

  it("resumes from a row index, or from a chunk's cursor without re-reading the rows before it", async () => {
    const model = await createModel();
    const csv = await uploadDataset(model.name);
    const jsonlResponse = await uploadDatasetBytes(model.name, Buffer.from(csvToJsonLines(digitsText)), "digits.jsonl");
    const jsonl = datasetDtoSchema.parse(await jsonlResponse.json());
    for (const dataset of [csv, jsonl]) {
      const fromIndex = await collect(readDatasetRows(dataset, { columns: FEATURES, chunkRows: 100, start: 300 }));
      expect(fromIndex.map((chunk) => chunk.rowOffset)).toEqual([300, 400, 500]);
      expect(concatenated(fromIndex)).toEqual(digitsValues(300));

      const [first, second] = await collect(readDatasetRows(dataset, { columns: FEATURES, chunkRows: 150 }));
      expect(second!.next.row).toBe(300);
      const resumed = await collect(
        readDatasetRows(dataset, { columns: FEATURES, chunkRows: 150, start: second!.next }),
      );
      expect(resumed.map((chunk) => chunk.rowOffset)).toEqual([300, 450]);
      expect(concatenated(resumed)).toEqual(digitsValues(300));
      expect(first!.next).toEqual({ row: 150, byte: expect.any(Number) });

      expect(await collect(readDatasetRows(dataset, { columns: FEATURES, chunkRows: 10, start: 540 }))).toEqual([]);
    }
  });

  it("refuses bad arguments before reading", async () => {
    const model = await createModel();
    const dataset = await uploadDataset(model.name);
    const read = (options: Parameters<typeof readDatasetRows>[1]) => collect(readDatasetRows(dataset, options));
    await expect(read({ columns: ["p0", "pixel"], chunkRows: 10 })).rejects.toThrow(/has no column named 'pixel'/);
    await expect(read({ columns: ["p0"], labelColumn: "digit", chunkRows: 10 })).rejects.toThrow(
      /no column named 'digit'/,
    );
    await expect(read({ columns: ["p0"], chunkRows: 0 })).rejects.toThrow(/chunkRows must be a positive whole number/);
    await expect(read({ columns: ["p0"], chunkRows: 10, start: 541 })).rejects.toThrow(/cannot start at row 541/);
    await expect(read({ columns: ["p0"], chunkRows: 10, start: { row: 5, byte: 0 } })).rejects.toThrow(/not a cursor/);
  });
});
