import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { apiErrorSchema, versionDetailSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { createModel, getVersion, promote, readyVersion, uploadVersion } from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();

async function stages(modelName: string): Promise<Record<number, string>> {
  const rows = await db().modelVersion.findMany({ where: { model: { name: modelName } }, orderBy: { version: "asc" } });
  return Object.fromEntries(rows.map((row) => [row.version, row.stage]));
}

describe("stage transitions", () => {
  it("promotes to Production, archiving the previous Production version, and records every transition", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    await readyVersion(model.name);

    const first = await promote(model.name, 1, "PRODUCTION", "first release");
    expect(first.status).toBe(200);
    expect(versionDetailSchema.parse(await first.json())).toMatchObject({ stage: "PRODUCTION" });
    expect((await promote(model.name, 2, "STAGING")).status).toBe(200);
    expect((await promote(model.name, 2, "PRODUCTION", "better F1")).status).toBe(200);
    expect(await stages(model.name)).toEqual({ 1: "ARCHIVED", 2: "PRODUCTION" });

    const v1 = await getVersion(model.name, 1);
    expect(v1.transitions.map((t) => [t.fromStage, t.toStage, t.comment])).toEqual([
      ["PRODUCTION", "ARCHIVED", "replaced by version 2"],
      ["NONE", "PRODUCTION", "first release"],
    ]);
    expect(v1.transitions.every((t) => t.actor === "local")).toBe(true);
    const v2 = await getVersion(model.name, 2);
    expect(v2.transitions.map((t) => `${t.fromStage}->${t.toStage}`)).toEqual(["STAGING->PRODUCTION", "NONE->STAGING"]);

    const summary = await (await api("GET", `/api/models/${model.name}`)).json();
    expect(summary).toMatchObject({ productionVersion: 2, stagingVersion: null, versionCount: 2, latestVersion: 2 });
  });

  it("leaves exactly one Production version when two promotions race", async () => {
    const model = await createModel();
    for (let index = 0; index < 4; index += 1) await readyVersion(model.name);
    for (let round = 0; round < 3; round += 1) {
      const responses = await Promise.all([1, 2, 3, 4].map((version) => promote(model.name, version, "PRODUCTION")));
      // Each promotion either wins in turn or finds its version already there; none errors out.
      for (const response of responses) expect([200, 409]).toContain(response.status);
      const production = Object.values(await stages(model.name)).filter((stage) => stage === "PRODUCTION");
      expect(production).toHaveLength(1);
    }
  });

  it("enforces one Production version per model in the database itself", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    await readyVersion(model.name);
    await db().modelVersion.updateMany({ where: { modelId: model.id, version: 1 }, data: { stage: "PRODUCTION" } });
    await expect(
      db().modelVersion.updateMany({ where: { modelId: model.id, version: 2 }, data: { stage: "PRODUCTION" } }),
    ).rejects.toThrow();
  });

  it("rolls back to the previous Production version", async () => {
    const model = await createModel();
    for (let index = 0; index < 3; index += 1) await readyVersion(model.name);
    const noHistory = await api("POST", `/api/models/${model.name}/rollback`, { json: {} });
    expect(noHistory.status).toBe(409);
    expect(apiErrorSchema.parse(await noHistory.json()).error.message).toMatch(/no earlier Production version/);

    await promote(model.name, 1, "PRODUCTION");
    await promote(model.name, 3, "PRODUCTION");
    const rolled = await api("POST", `/api/models/${model.name}/rollback`, { json: { comment: "v3 regressed" } });
    expect(rolled.status).toBe(200);
    expect(versionDetailSchema.parse(await rolled.json())).toMatchObject({ version: 1, stage: "PRODUCTION" });
    expect(await stages(model.name)).toEqual({ 1: "PRODUCTION", 2: "NONE", 3: "ARCHIVED" });
    const v1 = await getVersion(model.name, 1);
    expect(v1.transitions[0]).toMatchObject({
      fromStage: "ARCHIVED",
      toStage: "PRODUCTION",
      comment: "rolled back from version 3: v3 regressed",
    });
  });

  it("rejects unknown stages, repeated stages and versions that are not ready", async () => {
    const model = await createModel();
    await readyVersion(model.name);
    const unknown = await promote(model.name, 1, "GOLD");
    expect(unknown.status).toBe(400);
    expect(apiErrorSchema.parse(await unknown.json()).error.message).toMatch(/stage/);
    await promote(model.name, 1, "STAGING");
    const again = await promote(model.name, 1, "STAGING");
    expect(again.status).toBe(409);
    expect(apiErrorSchema.parse(await again.json()).error.message).toBe("version 1 is already in Staging");
    expect((await promote(model.name, 9, "STAGING")).status).toBe(404);
    expect((await promote("no-such-model", 1, "STAGING")).status).toBe(404);

    // A version still validating cannot be promoted (this one is checked before the worker gets to it).
    await db().modelVersion.updateMany({ where: { modelId: model.id }, data: { status: "PENDING" } });
    const pending = await promote(model.name, 1, "PRODUCTION");
    expect(pending.status).toBe(409);
    expect(apiErrorSchema.parse(await pending.json()).error.message).toMatch(/still being validated/);
  });

  it("archives and restores", async () => {
    const model = await createModel();
    await uploadVersion(model.name);
    await readyVersion(model.name);
    expect((await promote(model.name, 2, "ARCHIVED")).status).toBe(200);
    expect((await promote(model.name, 2, "NONE")).status).toBe(200);
    expect((await getVersion(model.name, 2)).transitions).toHaveLength(2);
  });
});
