import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { countingValues, denseLayer, writeKeras2Hdf5 } from "@/tests/fixtures/keras";
import { KerasModelError } from "./errors";
import { hdf5ReaderAborted } from "./hdf5";
import { readKerasModel } from "./read";

// In a file of its own: once HDF5 aborts, this test process reads no further HDF5 file.
const folderPromise = mkdtemp(path.join(os.tmpdir(), "keras-abort-test-"));
afterAll(async () => rm(await folderPromise, { recursive: true, force: true }));

/** A fixed-seed generator, so the damaged files are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

it("a file that makes HDF5 abort is refused as damaged, and the process then refuses to read more", async () => {
  const folder = await folderPromise;
  const original = path.join(folder, "model.h5");
  const layers = Array.from({ length: 6 }, (_, i) => ({
    name: `dense_${i}`,
    weights: [
      { name: `dense_${i}/kernel:0`, shape: [4, 4], values: countingValues(16) },
      { name: `dense_${i}/bias:0`, shape: [4], values: countingValues(4) },
    ],
  }));
  await writeKeras2Hdf5(original, {
    kerasVersion: "2.11.0",
    backend: "tensorflow",
    modelConfig: {
      class_name: "Sequential",
      config: { name: "s", layers: layers.map((layer) => denseLayer(layer.name, 4)) },
    },
    layers,
  });
  const bytes = await readFile(original);
  const random = seeded(7);
  const damaged = path.join(folder, "damaged.h5");
  let abortMessage: string | undefined;
  // Random bytes changed in the HDF5 metadata: every outcome is a refusal until HDF5 aborts on one.
  for (let attempt = 0; attempt < 400 && !hdf5ReaderAborted(); attempt += 1) {
    const copy = Buffer.from(bytes);
    for (let k = 0; k < 20; k += 1) copy[8 + Math.floor(random() * 4000)] = Math.floor(random() * 256);
    await writeFile(damaged, copy);
    const error = await readKerasModel(damaged).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (error === undefined) continue;
    expect(error).toBeInstanceOf(KerasModelError);
    if (hdf5ReaderAborted()) abortMessage = (error as Error).message;
  }
  expect(abortMessage).toMatch(/^the HDF5 file is damaged: HDF5 could not read it \(Aborted/);
  await expect(readKerasModel(original)).rejects.toThrow(
    "the HDF5 reader aborted on an earlier file in this process and cannot be trusted again",
  );
});
