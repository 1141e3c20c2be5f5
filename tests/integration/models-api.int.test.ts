import { describe, expect, it } from "vitest";
import { apiErrorSchema, modelSummarySchema, pageSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { createModel, uniqueName, uploadVersion } from "../fixtures/registry";

const modelPage = pageSchema(modelSummarySchema);
const json = { "content-type": "application/json" };

async function expectError(response: Response, status: number, code: string, message?: RegExp) {
  expect(response.status).toBe(status);
  const body = apiErrorSchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
  return body.error;
}

describe("models API", () => {
  it("creates, reads, updates and deletes a model", async () => {
    const name = uniqueName("fraud");
    const created = await createModel(name, { description: "Scores card payments", tags: ["payments", "tabular"] });
    expect(created).toMatchObject({
      name,
      description: "Scores card payments",
      tags: ["payments", "tabular"],
      versionCount: 0,
      productionVersion: null,
      createdBy: "local",
    });

    const fetched = modelSummarySchema.parse(await (await api("GET", `/api/models/${name}`)).json());
    expect(fetched.id).toBe(created.id);

    const patched = await api("PATCH", `/api/models/${name}`, { json: { description: "v2", tags: ["x"] } });
    expect(patched.status).toBe(200);
    expect(modelSummarySchema.parse(await patched.json())).toMatchObject({ description: "v2", tags: ["x"] });

    expect((await api("DELETE", `/api/models/${name}`)).status).toBe(204);
    await expectError(
      await api("GET", `/api/models/${name}`),
      404,
      "not_found",
      new RegExp(`model '${name}' was not found`),
    );
  });

  it("lists with search, tag filter and pagination", async () => {
    const prefix = uniqueName("search");
    for (let index = 0; index < 7; index += 1)
      await createModel(`${prefix}-${index}`, { tags: index % 2 === 0 ? ["even"] : [] });
    await createModel(uniqueName("other"));

    const first = modelPage.parse(await (await api("GET", `/api/models?q=${prefix}&pageSize=3`)).json());
    expect(first.total).toBe(7);
    expect(first.items).toHaveLength(3);
    const third = modelPage.parse(await (await api("GET", `/api/models?q=${prefix}&pageSize=3&page=3`)).json());
    expect(third.items).toHaveLength(1);
    const all = new Set([...first.items, ...third.items].map((item) => item.name));
    expect(all.size).toBe(4);

    const even = modelPage.parse(await (await api("GET", `/api/models?q=${prefix}&tag=even`)).json());
    expect(even.total).toBe(4);
    expect(even.items.every((item) => item.tags.includes("even"))).toBe(true);

    await expectError(await api("GET", "/api/models?page=0"), 400, "validation_failed", /page/);
    await expectError(await api("GET", "/api/models?pageSize=5000"), 400, "validation_failed", /pageSize/);
  });

  it("searches for % and _ literally, not as wildcards", async () => {
    const tag = uniqueName("like");
    const underscore = await createModel(`${tag}-a_b`, { description: "precision 100% on the holdout" });
    await createModel(`${tag}-axb`, { description: "precision 1000 on the holdout" });
    const search = async (q: string) => {
      const page = modelPage.parse(await (await api("GET", `/api/models?q=${encodeURIComponent(q)}`)).json());
      return page.items.map((item) => item.name).filter((name) => name.startsWith(tag));
    };
    expect(await search(`${tag}-a_b`)).toEqual([underscore.name]);
    expect(await search("100%")).toEqual([underscore.name]);
    expect(await search("100% on")).toEqual([underscore.name]);
    expect(await search("%")).toEqual([underscore.name]);
    expect(await search("\\")).toEqual([]);
  });

  it("refuses text the database cannot store, naming the field, in bodies, queries and upload headers", async () => {
    const model = await createModel();
    await expectError(
      await api("POST", "/api/models", { json: { name: uniqueName(), description: "a\u0000b" } }),
      400,
      "validation_failed",
      /^description: the description contains a NUL character \(\\u0000\) at character 2, which cannot be stored$/,
    );
    await expectError(
      await api("PATCH", `/api/models/${model.name}`, { body: '{"tags": ["ok", "\\ud83d"]}', headers: json }),
      400,
      "validation_failed",
      /^tags\.1: the tag contains a lone UTF-16 surrogate \(\\uD83D\) at character 1/,
    );
    await expectError(
      await api("GET", "/api/models?q=a%00b"),
      400,
      "validation_failed",
      /the search text contains a NUL character/,
    );
    await expectError(
      await api("GET", `/api/models/${encodeURIComponent("a\u0000")}`),
      400,
      "bad_request",
      /^the name in the path contains a NUL character/,
    );
    for (const [header, message] of [
      ["x-description", /^the description contains a NUL character/],
      ["x-tags", /^0: the tag contains a NUL character/],
    ] as const) {
      await expectError(
        await api("POST", `/api/models/${model.name}/versions`, {
          body: new Uint8Array([1, 2, 3]),
          headers: { "content-type": "application/octet-stream", "x-filename": "m.onnx", [header]: "a%00b" },
        }),
        400,
        "validation_failed",
        message,
      );
    }
    // Nothing was created by the refused requests.
    expect(modelSummarySchema.parse(await (await api("GET", `/api/models/${model.name}`)).json()).versionCount).toBe(0);
  });

  it("refuses numbers past the integer columns they land in with a 400, on every kind of route", async () => {
    const model = await createModel();
    await uploadVersion(model.name);
    for (const version of ["2147483648", "9007199254740993", "1e400", "0"]) {
      for (const path of ["", "/metrics", "/artifact", "/evaluations"]) {
        await expectError(
          await api("GET", `/api/models/${model.name}/versions/${version}${path}`),
          400,
          "bad_request",
          new RegExp(`^'${version}' is not a version number; versions are whole numbers from 1 to 2147483647$`),
        );
      }
    }
    await expectError(
      await api("GET", `/api/models/${model.name}/endpoint/metrics?version=2147483648`),
      400,
      "validation_failed",
      /^version: the version must be a whole number from 1 to 2147483647$/,
    );
    await expectError(
      await api("POST", `/api/models/${model.name}/versions/1/metrics`, {
        body: '{"key": "loss", "value": 1, "step": 2147483648}',
        headers: json,
      }),
      400,
      "validation_failed",
      /^0\.step: step must be a whole number from 0 to 2147483647$/,
    );
    await expectError(
      await api("POST", `/api/models/${model.name}/feedback`, {
        body: '{"requestId": "r", "row": 2147483648, "label": 1}',
        headers: json,
      }),
      400,
      "validation_failed",
      /^row: row must be a whole number from 0 to 2147483647$/,
    );
    await expectError(
      await api("GET", "/api/models?page=9007199254740993"),
      400,
      "validation_failed",
      /^page: page must be a whole number from 1 to 2147483647$/,
    );
  });

  it("rejects bad names, duplicates and malformed bodies with clear errors", async () => {
    await expectError(
      await api("POST", "/api/models", { json: { name: "team/model" } }),
      400,
      "validation_failed",
      /may contain only letters/,
    );
    await expectError(
      await api("POST", "/api/models", { json: { name: "x".repeat(500) } }),
      400,
      "validation_failed",
      /longer than 100 characters/,
    );
    await expectError(await api("POST", "/api/models", { json: { name: "" } }), 400, "validation_failed", /empty/);
    await expectError(await api("POST", "/api/models", { json: {} }), 400, "validation_failed", /name/);
    await expectError(
      await api("POST", "/api/models", { body: "{not json", headers: { "content-type": "application/json" } }),
      400,
      "bad_request",
      /not valid JSON/,
    );
    const name = uniqueName();
    await createModel(name);
    await expectError(await api("POST", "/api/models", { json: { name } }), 409, "conflict", /already exists/);
    await expectError(
      await api("PATCH", `/api/models/${name}`, { json: { name: "renamed" } }),
      400,
      "validation_failed",
    );
    await expectError(await api("GET", "/api/models/no-such-model"), 404, "not_found");
  });

  it("answers unknown API routes with the JSON error form", async () => {
    await expectError(
      await api("GET", "/api/nothing/here"),
      404,
      "not_found",
      /no API route matches GET \/api\/nothing\/here/,
    );
  });
});

describe("OpenAPI document", () => {
  it("describes every route with schemas generated from the API's own zod schemas", async () => {
    const { GET } = await import("@/app/api/openapi.json/route");
    const response = await GET(new Request("http://modelyard.test/api/openapi.json"));
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/models",
        "/api/models/{name}/versions",
        "/api/models/{name}/versions/{version}/stage",
        "/api/jobs/{id}",
      ]),
    );
    const createBody = document.paths["/api/models"]!.post as {
      requestBody: { content: { "application/json": { schema: { required: string[] } } } };
    };
    expect(createBody.requestBody.content["application/json"].schema.required).toEqual(["name"]);
  });
});
