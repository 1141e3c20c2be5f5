import { Unzip, UnzipInflate } from "fflate";
import { KerasModelError } from "./errors";

/**
 * Limits on a `.keras` zip, checked on the bytes actually inflated (not the sizes the headers
 * declare), so a zip bomb stops at the limit instead of filling memory.
 */
export interface ArchiveLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  // A Keras 3 archive holds config.json, metadata.json, model.weights.h5 and perhaps a few assets.
  maxEntries: 64,
  maxEntryBytes: 1024 ** 3,
  maxTotalBytes: 2 * 1024 ** 3,
};

export const ZIP_SIGNATURE = Uint8Array.from([0x50, 0x4b, 0x03, 0x04]);

export function isZip(head: Uint8Array): boolean {
  return head.length >= ZIP_SIGNATURE.length && ZIP_SIGNATURE.every((byte, i) => head[i] === byte);
}

/** Names that would escape a folder they were extracted into, or mean different things on Windows. */
function isUnsafeEntryName(name: string): boolean {
  return (
    name.length === 0 ||
    name.includes("\\") ||
    name.includes("\0") ||
    name.startsWith("/") ||
    /^[A-Za-z]:/.test(name) ||
    name.split("/").some((segment) => segment === "..")
  );
}

const MiB = 1024 * 1024;
const formatBytes = (bytes: number): string => `${(bytes / MiB).toFixed(bytes < MiB ? 2 : 0)} MiB`;

/**
 * Unzips the entries of `data` that `wanted` names, refusing the whole archive when any entry name
 * is unsafe or a limit is exceeded. Entries that are not wanted are counted and checked, not kept.
 */
export function unzipEntries(
  data: Uint8Array,
  wanted: ReadonlySet<string>,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Map<string, Uint8Array> {
  const entries = new Map<string, Uint8Array>();
  let entryCount = 0;
  let totalBytes = 0;
  let failure: KerasModelError | undefined;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    if (failure) return;
    entryCount += 1;
    if (entryCount > limits.maxEntries) {
      failure = new KerasModelError(`the archive has more than ${limits.maxEntries} entries`);
      return;
    }
    if (isUnsafeEntryName(file.name)) {
      failure = new KerasModelError(`the archive has an entry named '${file.name}', which points outside the archive`);
      return;
    }
    const keep = wanted.has(file.name);
    const chunks: Uint8Array[] = [];
    let entryBytes = 0;
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = new KerasModelError(`the archive entry '${file.name}' is damaged: ${error.message}`);
        return;
      }
      entryBytes += chunk.length;
      totalBytes += chunk.length;
      if (entryBytes > limits.maxEntryBytes) {
        failure = new KerasModelError(
          `the archive entry '${file.name}' unpacks to more than ${formatBytes(limits.maxEntryBytes)}, the limit for one entry`,
        );
      } else if (totalBytes > limits.maxTotalBytes) {
        failure = new KerasModelError(`the archive unpacks to more than ${formatBytes(limits.maxTotalBytes)} in all`);
      }
      if (failure) {
        file.terminate();
        return;
      }
      if (keep) chunks.push(chunk);
      if (final && keep) entries.set(file.name, concat(chunks, entryBytes));
    };
    file.start();
  };
  try {
    unzip.push(data, true);
  } catch (error) {
    failure ??= new KerasModelError(
      `the archive is damaged: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (failure) throw failure;
  return entries;
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
