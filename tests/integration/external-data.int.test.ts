/**
 * The attack as it was found: a model whose Constant points at another model's dataset in the same
 * artifact store (by its sha256 path), hidden behind a repeated or mis-typed protobuf field, is
 * refused by validation with a reason and no server path, and can never be promoted.
 */
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { versionSummarySchema } from "@/lib/registry/schemas";
import { expectError } from "../fixtures/assertions";
import { uploadDataset } from "../fixtures/datasets";
import {
  constantModel,
  misencodedFieldAttribute,
  plainExternalAttribute,
  repeatedFieldAttribute,
} from "../fixtures/external-data";
import { createModel, promote, uploadBytes, waitForValidation } from "../fixtures/registry";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();

describe("a model that reads another model's dataset through external data", () => {
  it.each([
    [
      "repeated",
      repeatedFieldAttribute,
      (sha: string) => `^the model stores weights in external data files \\(${sha}\\)`,
    ],
    [
      "mis-typed",
      misencodedFieldAttribute,
      () => "^the file is truncated or is not an ONNX protobuf: field 't' of AttributeProto",
    ],
    ["plain", plainExternalAttribute, (sha: string) => `^the model stores weights in external data files \\(${sha}\\)`],
  ])("fails validation when the tensor field is %s, naming no server path", async (_how, attribute, reason) => {
    const victim = await createModel();
    const dataset = await uploadDataset(victim.name);
    const { artifactSha256 } = await db().dataset.findUniqueOrThrow({ where: { id: dataset.id } });
    const location = `../${artifactSha256.slice(0, 2)}/${artifactSha256}`;

    const attacker = await createModel();
    const response = await uploadBytes(attacker.name, constantModel(attribute(location)), "crafted.onnx");
    expect(response.status).toBe(202);
    const { version } = versionSummarySchema.parse(await response.json());
    const detail = await waitForValidation(attacker.name, version);
    expect(detail.status).toBe("FAILED");
    expect(detail.statusMessage).toMatch(new RegExp(reason(artifactSha256)));
    expect(detail.statusMessage).not.toMatch(/\/(tmp|work|root|home|var)\//);
    await expectError(await promote(attacker.name, version, "PRODUCTION"), 409, /failed validation/);
  });
});
