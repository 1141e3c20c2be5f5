import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "@/lib/errors";

/**
 * Content-addressed, immutable artifact storage. Writers stream bytes in; the store hashes them
 * (sha256) on the way to a temporary file and moves the file to its address only when complete,
 * so a reader never sees a partial artifact and the same bytes are stored once.
 */
export interface StoredArtifact {
  sha256: string;
  sizeBytes: number;
}

export interface ArtifactStore {
  /** Streams `source` into the store. Rejects with 413 past `maxBytes`, leaving nothing behind. */
  put(source: Readable | AsyncIterable<Uint8Array>, options: { maxBytes: number }): Promise<StoredArtifact>;
  openRead(sha256: string, range?: { start: number; end?: number }): Readable;
  /** A local path for tools that need one (onnxruntime loads from a path). */
  localPath(sha256: string): string;
  exists(sha256: string): Promise<boolean>;
  remove(sha256: string): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class UploadTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super("payload_too_large", `the file is larger than the upload limit of ${formatBytes(maxBytes)}`);
  }
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 10 ? 0 : 1)} ${units[unit]}`;
}

export class LocalArtifactStore implements ArtifactStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, "tmp");
  }

  localPath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 address: ${sha256}`);
    return path.join(this.root, "sha256", sha256.slice(0, 2), sha256);
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: { maxBytes: number }): Promise<StoredArtifact> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = path.join(this.tmpDir, `${randomUUID()}.part`);
    const hash = createHash("sha256");
    let sizeBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sizeBytes += chunk.length;
        if (sizeBytes > options.maxBytes) {
          callback(new UploadTooLargeError(options.maxBytes));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    // Open before streaming, so the file exists by the time a failure tries to remove it.
    const file = await open(tmpPath, "wx");
    try {
      await pipeline(source, meter, file.createWriteStream());
      const sha256 = hash.digest("hex");
      const finalPath = this.localPath(sha256);
      await mkdir(path.dirname(finalPath), { recursive: true });
      // Same bytes already stored: keep the existing file (it is immutable) and drop ours.
      if (await this.exists(sha256)) await rm(tmpPath, { force: true });
      else await rename(tmpPath, finalPath);
      return { sha256, sizeBytes };
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  openRead(sha256: string, range?: { start: number; end?: number }): Readable {
    return createReadStream(this.localPath(sha256), range);
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.localPath(sha256))).isFile();
    } catch {
      return false;
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.localPath(sha256), { force: true });
  }
}
