/**
 * Every onnxruntime session (validation and serving) is created here, confined to a folder of its
 * own. The artifact store keeps artifacts side by side, and onnxruntime resolves a tensor's external
 * data path against the folder it loads the model from (or, from bytes, the working directory), so
 * an unconfined session could read another model or dataset by naming its file. Here the model is
 * loaded by path as the only file of a new folder, external data is looked up in a second, empty
 * folder (`session.model_external_initializers_file_folder_path`), both are removed as soon as
 * onnxruntime has read the model, and no error message names a server path.
 *
 * The model checks refuse external data before a session is made; this is the second wall.
 */
import { readdirSync } from "node:fs";
import { copyFile, link, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { InferenceSession } from "onnxruntime-node";

/** Under `parent`: model/model.onnx (a hard link to the artifact, or a copy) and external-data/ (empty). */
export interface SessionFolder {
  modelPath: string;
  /** Session options that point external data at the empty folder. */
  confinement: Pick<InferenceSession.SessionOptions, "extra">;
  remove(): Promise<void>;
}

const EXTERNAL_DATA_FOLDER_KEY = "model_external_initializers_file_folder_path";
/** Session folders, and folders that hold them (SESSION_PARENT_PREFIX), start with this. */
const FOLDER_PREFIX = "modelyard-session-";
export const SESSION_PARENT_PREFIX = `${FOLDER_PREFIX}parent-`;
/**
 * A folder this old outlived the session load it was made for: its thread or process was ended
 * mid-load (a memory limit, a crash). onnxruntime has long read the model by then, so it can go.
 */
const STALE_AFTER_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;
let lastSweep = 0;

export async function createSessionFolder(artifactPath: string, parent: string = os.tmpdir()): Promise<SessionFolder> {
  await sweepStaleFolders(os.tmpdir());
  const root = await mkdtemp(path.join(parent, FOLDER_PREFIX));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    const modelDir = path.join(root, "model");
    const externalDataDir = path.join(root, "external-data");
    await Promise.all([mkdir(modelDir), mkdir(externalDataDir)]);
    const modelPath = path.join(modelDir, "model.onnx");
    // A hard link costs nothing and cannot change the artifact (onnxruntime only reads); another
    // file system needs a copy.
    await link(artifactPath, modelPath).catch(() => copyFile(artifactPath, modelPath));
    return {
      modelPath,
      confinement: { extra: { session: { [EXTERNAL_DATA_FOLDER_KEY]: externalDataDir } } },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Removes session folders left behind by loads that never finished (looked for every 10 minutes at most). */
async function sweepStaleFolders(parent: string): Promise<void> {
  const now = Date.now();
  if (now - lastSweep < SWEEP_EVERY_MS) return;
  lastSweep = now;
  const names = await readdir(parent).catch(() => []);
  for (const name of names.filter((entry) => entry.startsWith(FOLDER_PREFIX))) {
    const folder = path.join(parent, name);
    const modified = await stat(folder).then(
      (info) => info.mtimeMs,
      () => now,
    );
    if (now - modified > STALE_AFTER_MS) await rm(folder, { recursive: true, force: true });
  }
}

/** `options` with the confinement added (its `extra.session` merged, not replaced). */
export function confinedOptions(
  options: InferenceSession.SessionOptions,
  folder: SessionFolder,
): InferenceSession.SessionOptions {
  const extra = (options.extra ?? {}) as Record<string, unknown>;
  const session = (extra.session ?? {}) as Record<string, unknown>;
  const confinedSession = (folder.confinement.extra as { session: Record<string, unknown> }).session;
  return { ...options, extra: { ...extra, session: { ...session, ...confinedSession } } };
}

/**
 * Creates a session for the artifact in a folder of its own, removed once the session exists (or
 * failed): onnxruntime has read everything it needs by then, and a thread ended abruptly leaves
 * nothing behind. Errors carry no server path. `parent` is where the folder is made (default: the
 * system's temporary folder); a caller that may be killed mid-load passes one it removes itself.
 */
export async function createConfinedSession(
  artifactPath: string,
  options: InferenceSession.SessionOptions,
  parent?: string,
): Promise<InferenceSession> {
  let folder: SessionFolder | null = null;
  try {
    folder = await createSessionFolder(artifactPath, parent);
    const { InferenceSession } = await import("onnxruntime-node");
    return await InferenceSession.create(folder.modelPath, confinedOptions(options, folder));
  } catch (error) {
    throw new Error(withoutServerPaths(error instanceof Error ? error.message : String(error)));
  } finally {
    await folder?.remove();
  }
}

const HIDDEN_PATH = "(a server path)";

/** The first folders of this machine's file system (tmp, home, work, …), read once. */
let rootEntries: Set<string> | null = null;

function topLevelFolders(): Set<string> {
  rootEntries ??= new Set(readdirSync("/"));
  return rootEntries;
}

/**
 * The message without server paths: onnxruntime names the file it loads, resolved external data
 * paths and the folders it allows, and Node's file errors name both ends of a link. Any absolute
 * path whose first folder exists on this machine is replaced; names like a PyTorch node's
 * "/fc/Gemm", which point nowhere, stay, as they tell the uploader which node is at fault.
 */
export function withoutServerPaths(message: string): string {
  const hide = (match: string, first: string) => (topLevelFolders().has(first) ? HIDDEN_PATH : match);
  return (
    message
      .replace(/^Load model from .*? failed:\s*/s, "")
      // quoted paths may hold spaces; bare ones end at white space or punctuation
      .replace(/(?<=["'])\/([^/"']+)[^"']*(?=["'])/g, hide)
      // (a sentence's full stop or colon after a path is not part of it)
      .replace(/(?<![\w.~-])\/([^\s/"'`,;:()[\]{}<>]+)[^\s"'`,;()[\]{}<>]*?(?=[.:]?(?:[\s"'`,;()[\]{}<>]|$))/g, hide)
  );
}
