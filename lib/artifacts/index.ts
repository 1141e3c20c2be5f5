import { config } from "@/lib/config";
import { LocalArtifactStore, type ArtifactStore } from "./store";

export * from "./store";

let store: ArtifactStore | undefined;

/** The configured store. A different backend (S3-compatible) would be chosen here. */
export function artifactStore(): ArtifactStore {
  store ??= new LocalArtifactStore(config().artifactDir);
  return store;
}
