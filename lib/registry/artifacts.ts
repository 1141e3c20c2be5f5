import type { Readable } from "node:stream";
import { artifactStore, type ArtifactStore, type StoredArtifact } from "@/lib/artifacts";
import type { Db, Prisma, Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";

/**
 * Artifact rows and files move together. Both adding a reference and removing the last one take a
 * transaction-scoped advisory lock on the hash, so a file is never deleted under a commit that
 * starts to use it.
 */

async function lockArtifact(tx: Tx, sha256: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${sha256}, 0))`;
}

export async function storeUpload(
  body: Readable | AsyncIterable<Uint8Array>,
  maxBytes: number,
  store: ArtifactStore = artifactStore(),
): Promise<StoredArtifact> {
  return store.put(body, { maxBytes });
}

/** Inside the version- or dataset-creating transaction: makes sure the artifact row exists and its file is there. */
export async function claimArtifact(
  tx: Tx,
  stored: StoredArtifact,
  store: ArtifactStore = artifactStore(),
): Promise<void> {
  await lockArtifact(tx, stored.sha256);
  if (!(await store.exists(stored.sha256))) {
    throw new AppError(
      "conflict",
      "the upload was removed while it was being registered; please upload the file again",
    );
  }
  await tx.artifact.upsert({
    where: { sha256: stored.sha256 },
    create: { sha256: stored.sha256, sizeBytes: BigInt(stored.sizeBytes) },
    update: {},
  });
}

/** Deletes the artifact row and file when no version, dataset or evaluation points at it any more. */
export async function releaseArtifact(
  database: Db,
  sha256: string,
  store: ArtifactStore = artifactStore(),
): Promise<boolean> {
  return database.$transaction(async (tx) => {
    await lockArtifact(tx, sha256);
    // One after another: a transaction is one connection, which runs one query at a time anyway.
    const versions = await tx.modelVersion.count({ where: { artifactSha256: sha256 } });
    const datasets = await tx.dataset.count({ where: { artifactSha256: sha256 } });
    const predictions = await tx.evaluation.count({ where: { predictionsSha256: sha256 } });
    if (versions + datasets + predictions > 0) return false;
    await tx.artifact.deleteMany({ where: { sha256 } });
    await store.remove(sha256);
    return true;
  });
}

/** Releases each file; see releaseArtifact. */
export async function releaseArtifacts(
  database: Db,
  sha256s: Iterable<string>,
  store: ArtifactStore = artifactStore(),
): Promise<void> {
  for (const sha256 of new Set(sha256s)) await releaseArtifact(database, sha256, store);
}

/** The predictions files of evaluations that a delete is about to take with it (they cascade). */
export async function evaluationPredictionFiles(
  database: Db | Tx,
  where: Prisma.EvaluationWhereInput,
): Promise<string[]> {
  const rows = await database.evaluation.findMany({
    where: { ...where, predictionsSha256: { not: null } },
    select: { predictionsSha256: true },
  });
  return rows.map((row) => row.predictionsSha256!);
}
