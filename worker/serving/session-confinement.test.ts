/**
 * A serving session made from a model that slipped past validation (stored before the checks
 * existed, or past a check that missed something) still cannot read another file of the artifact
 * store, and its load error names no server path.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalArtifactStore } from "@/lib/artifacts/store";
import {
  constantModel,
  plainExternalAttribute,
  repeatedFieldAttribute,
  SECRET_BYTES,
} from "@/tests/fixtures/external-data";
import { InlineSession } from "./inline-session";
import { SessionThread } from "./session-client";

const SECRET = "DATASET!".slice(0, SECRET_BYTES);

let root: string;
let store: LocalArtifactStore;
/** Another artifact, in another shard folder of the store. */
let otherArtifact: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "modelyard-confinement-"));
  store = new LocalArtifactStore(root);
  const other = await store.put(Readable.from([Buffer.from(SECRET)]), { maxBytes: 1024 });
  otherArtifact = store.localPath(other.sha256);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Writes the model into a shard folder of the store, beside a sibling artifact (same first two hex
 * digits) and a link to the other artifact; `location` says what its external data names.
 */
async function storedModel(location: (siblingPath: string) => string, attribute: (location: string) => Uint8Array) {
  const shardFolder = path.join(root, "sha256", "ab");
  await mkdir(shardFolder, { recursive: true });
  const siblingPath = path.join(shardFolder, `ab${"0".repeat(62)}`);
  await writeFile(siblingPath, SECRET);
  await symlink(otherArtifact, path.join(shardFolder, "link")).catch(() => {}); // made by an earlier case
  const modelPath = path.join(shardFolder, `ab${randomBytes(31).toString("hex")}`);
  await writeFile(modelPath, constantModel(attribute(location(siblingPath))));
  return modelPath;
}

const LOCATIONS: [string, (siblingPath: string) => string][] = [
  ["a sibling artifact", (sibling) => path.basename(sibling)],
  ["a sibling artifact, in a repeated field", (sibling) => path.basename(sibling)],
  ["an absolute path", () => otherArtifact],
  ["'..'", () => path.join("..", path.basename(path.dirname(otherArtifact)), path.basename(otherArtifact))],
  ["a symbolic link", () => "link"],
];

function expectNoServerPath(message: string): void {
  expect(message).not.toContain(root);
  expect(message).not.toMatch(/\/(tmp|work|root|home)\//);
}

describe("a serving session", () => {
  it.each(LOCATIONS)("cannot read external data named by %s", async (kind, location) => {
    const attribute = kind.includes("repeated") ? repeatedFieldAttribute : plainExternalAttribute;
    const modelPath = await storedModel(location, attribute);
    const outcome = await SessionThread.start({ modelPath, intraOpThreads: 1 }, { heapMb: 256 }).then(
      async (thread) => {
        const outputs = await thread.run({}).finally(() => thread.close());
        return { read: Buffer.from(outputs.y!.data as Uint8Array).toString("latin1") };
      },
      (error: Error) => ({ error: error.message }),
    );
    expect(outcome).toEqual({ error: expect.stringMatching(/External data path/) });
    expectNoServerPath("error" in outcome ? outcome.error : "");
  });

  it.each(LOCATIONS)("inline on the HTTP thread, cannot read external data named by %s", async (kind, location) => {
    const attribute = kind.includes("repeated") ? repeatedFieldAttribute : plainExternalAttribute;
    const modelPath = await storedModel(location, attribute);
    const error = await InlineSession.load(modelPath, 1).then(
      async (session) => {
        await session.release();
        return null;
      },
      (failure: Error) => failure.message,
    );
    expect(error).toMatch(/External data path/);
    expectNoServerPath(error ?? "");
  });
});
