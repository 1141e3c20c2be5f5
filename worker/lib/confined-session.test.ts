import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { constantModel, plainExternalAttribute } from "@/tests/fixtures/external-data";
import { DIGITS_ONNX } from "@/tests/fixtures/paths";
import { confinedOptions, createConfinedSession, createSessionFolder, withoutServerPaths } from "./confined-session";

let parent: string;
beforeAll(async () => {
  parent = await mkdtemp(path.join(os.tmpdir(), "modelyard-sessions-"));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

describe("createConfinedSession", () => {
  // First in this file: the sweep runs on a process's first session folder, then every 10 minutes.
  it("removes session folders an ended load left behind over an hour ago, and no others", async () => {
    const stale = await mkdtemp(path.join(os.tmpdir(), "modelyard-session-"));
    const recent = await mkdtemp(path.join(os.tmpdir(), "modelyard-session-"));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    try {
      const folder = await createSessionFolder(DIGITS_ONNX, parent);
      await folder.remove();
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(recent)).toBe(true);
    } finally {
      await Promise.all([stale, recent].map((folder) => rm(folder, { recursive: true, force: true })));
    }
  });

  it("runs the model and leaves no folder behind", async () => {
    const session = await createConfinedSession(DIGITS_ONNX, { intraOpNumThreads: 1 }, parent);
    try {
      expect(await readdir(parent)).toEqual([]);
      const outputs = await session.run({ input: new Tensor("float32", new Float32Array(64), [1, 64]) });
      expect(outputs.output!.dims).toEqual([1, 10]);
    } finally {
      await session.release();
    }
  });

  it("leaves no folder behind when onnxruntime refuses the model, and names no path", async () => {
    const modelPath = path.join(parent, "..", `${path.basename(parent)}-model.onnx`);
    await writeFile(modelPath, constantModel(plainExternalAttribute("weights.bin")));
    try {
      const error = await createConfinedSession(modelPath, {}, parent).then(
        () => null,
        (failure: Error) => failure.message,
      );
      expect(error).toMatch(
        /^External data path validation failed for initializer: y\..*does not exist: "\(a server path\)"$/,
      );
      expect(await readdir(parent)).toEqual([]);
    } finally {
      await rm(modelPath, { force: true });
    }
  });

  it("holds the model alone in its folder, beside an empty one for external data", async () => {
    const folder = await createSessionFolder(DIGITS_ONNX, parent);
    try {
      const [root] = await readdir(parent);
      expect((await readdir(path.join(parent, root!))).sort()).toEqual(["external-data", "model"]);
      expect(await readdir(path.dirname(folder.modelPath))).toEqual(["model.onnx"]);
      expect(await readdir(path.join(parent, root!, "external-data"))).toEqual([]);
      const options = confinedOptions({ extra: { session: { intra_op: { allow_spinning: "0" } } } }, folder);
      expect(options.extra).toEqual({
        session: {
          intra_op: { allow_spinning: "0" },
          model_external_initializers_file_folder_path: path.join(parent, root!, "external-data"),
        },
      });
    } finally {
      await folder.remove();
    }
    expect(await readdir(parent)).toEqual([]);
  });
});

describe("withoutServerPaths", () => {
  it("hides absolute paths on this machine, quoted or not, and the file onnxruntime names first", () => {
    expect(
      withoutServerPaths(
        'Load model from /tmp/x/model.onnx failed: External data path: "../s e c" resolved path: "/tmp/a b/s" ' +
          "allowed directory: /work/store/sha256/ab, see /etc/passwd.",
      ),
    ).toBe(
      'External data path: "../s e c" resolved path: "(a server path)" allowed directory: (a server path), ' +
        "see (a server path).",
    );
  });

  it("keeps names that only look like paths, such as a PyTorch node's", () => {
    const message = "Non-zero status code returned while running Gemm node. Name:'/fc1/Gemm' Status Message: a/b";
    expect(withoutServerPaths(message)).toBe(message);
  });
});
