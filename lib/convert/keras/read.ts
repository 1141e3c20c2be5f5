import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_ARCHIVE_LIMITS, isZip, unzipEntries, type ArchiveLimits } from "./archive";
import { parseModel, type KerasLayer, type KerasModelGraph } from "./config";
import { KerasModelError } from "./errors";
import { isHdf5, readKeras3Weights, readKerasHdf5, type KerasWeight } from "./hdf5";

/**
 * Reads a Keras upload, whatever its name: an HDF5 `model.save()` file (Keras 2, tf.keras; also the
 * `.keras` files tf.keras 2.x wrote as HDF5) or a Keras 3 `.keras` zip. The result is plain data
 * (no class instances, no functions), so a child process can read the file and send it back.
 */

export type KerasContainer = "hdf5" | "keras-zip";

export interface KerasLayerWithWeights extends KerasLayer {
  model?: KerasModelWithWeights;
  wrapped?: KerasLayerWithWeights;
  /** This layer's variables in Keras order (a nested model's are on its own layers); empty if none. */
  weights: KerasWeight[];
}

export interface KerasModelWithWeights extends KerasModelGraph {
  layers: KerasLayerWithWeights[];
}

export interface KerasModelFile {
  container: KerasContainer;
  kerasVersion: string | null;
  backend: string | null;
  model: KerasModelWithWeights;
}

const KERAS3_ENTRIES = { config: "config.json", metadata: "metadata.json", weights: "model.weights.h5" } as const;

export async function readKerasModel(
  filePath: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<KerasModelFile> {
  const head = await readHead(filePath, 8);
  if (isHdf5(head)) return readHdf5Model(filePath);
  if (isZip(head)) return readKeras3Archive(await readFile(filePath), limits);
  throw new KerasModelError(
    "the file is not a Keras model: it is neither HDF5 (Keras 2 model.save) nor a zip archive (Keras 3 .keras)",
  );
}

async function readHead(filePath: string, length: number): Promise<Uint8Array> {
  const handle = await open(filePath, "r");
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readHdf5Model(filePath: string): Promise<KerasModelFile> {
  const stored = await readKerasHdf5(filePath);
  if (stored.kerasVersion?.startsWith("1.")) {
    throw new KerasModelError(`Keras 1.x files are not supported (saved by Keras ${stored.kerasVersion})`);
  }
  const model = withoutWeights(parseModel(stored.modelConfig));
  attachKeras2Weights(model, stored.layerWeights);
  return { container: "hdf5", kerasVersion: stored.kerasVersion, backend: stored.backend, model };
}

async function readKeras3Archive(data: Uint8Array, limits: ArchiveLimits): Promise<KerasModelFile> {
  const entries = unzipEntries(data, new Set(Object.values(KERAS3_ENTRIES)), limits);
  const entryJson = (name: string): unknown => {
    const bytes = entries.get(name);
    if (!bytes) throw new KerasModelError(`the .keras archive has no ${name}`);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new KerasModelError(`the .keras archive's ${name} is not valid JSON`);
    }
  };
  const metadata = entryJson(KERAS3_ENTRIES.metadata);
  const kerasVersion =
    typeof metadata === "object" && metadata !== null && "keras_version" in metadata
      ? String(metadata.keras_version)
      : null;
  const model = withoutWeights(parseModel(entryJson(KERAS3_ENTRIES.config)));
  const weightsBytes = entries.get(KERAS3_ENTRIES.weights);
  if (!weightsBytes) throw new KerasModelError(`the .keras archive has no ${KERAS3_ENTRIES.weights}`);
  // h5wasm's Node build reads from the file system, so the weights go through a private temporary folder.
  const folder = await mkdtemp(path.join(os.tmpdir(), "modelyard-keras-"));
  try {
    const weightsPath = path.join(folder, KERAS3_ENTRIES.weights);
    await writeFile(weightsPath, weightsBytes);
    attachKeras3Weights(model, await readKeras3Weights(weightsPath));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return { container: "keras-zip", kerasVersion, backend: null, model };
}

function withoutWeights(model: KerasModelGraph): KerasModelWithWeights {
  const layer = (source: KerasLayer): KerasLayerWithWeights => ({
    ...source,
    model: source.model ? withoutWeights(source.model) : undefined,
    wrapped: source.wrapped ? layer(source.wrapped) : undefined,
    weights: [],
  });
  return { ...model, layers: model.layers.map(layer) };
}

/** Layers that own variables, by name: a nested model stands for its layers, a wrapper for itself. */
function weightOwners(model: KerasModelWithWeights, owners = new Map<string, KerasLayerWithWeights>()) {
  for (const layer of model.layers) {
    if (layer.model) weightOwners(layer.model, owners);
    else owners.set(layer.name, layer);
  }
  return owners;
}

/**
 * Keras 2 stores weights per top-level layer. A nested model's group holds all its layers'
 * variables, named `<inner layer>/<variable>:0`; they go to the inner layer of that name.
 */
function attachKeras2Weights(model: KerasModelWithWeights, layerWeights: Map<string, KerasWeight[]>): void {
  const topLevel = new Map(model.layers.map((layer) => [layer.name, layer]));
  for (const [groupName, weights] of layerWeights) {
    const layer = topLevel.get(groupName);
    if (!layer) {
      throw new KerasModelError(
        `the file stores weights for layer '${groupName}', which the model config does not have`,
      );
    }
    if (!layer.model) {
      layer.weights = weights;
      continue;
    }
    const owners = weightOwners(layer.model);
    for (const weight of weights) {
      const parts = weight.name.split("/");
      const ownerName = parts[0] === groupName && parts.length > 2 ? parts[1] : parts[0];
      const owner = ownerName === undefined ? undefined : owners.get(ownerName);
      if (!owner) {
        throw new KerasModelError(`weight '${weight.name}' of '${groupName}' belongs to no layer of that model`);
      }
      owner.weights.push(weight);
    }
  }
}

/** Keras 3's `to_snake_case`, which names each layer's folder in model.weights.h5. */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/**
 * Keras 3 names each layer's folder after its class (`dense`, `dense_1`, ... in `model.layers`
 * order, InputLayer left out) and a nested model's layers under `<model folder>/layers/`.
 */
function attachKeras3Weights(model: KerasModelWithWeights, weightsByPath: Map<string, KerasWeight[]>): void {
  const claimed = new Set<string>();
  const walk = (current: KerasModelWithWeights, prefix: string): void => {
    const used = new Map<string, number>();
    for (const layer of current.layers) {
      if (layer.className === "InputLayer") continue;
      const base = kerasSnakeCase(layer.className);
      const count = used.get(base);
      used.set(base, count === undefined ? 0 : count + 1);
      const layerPath = `${prefix}${count === undefined ? base : `${base}_${count + 1}`}`;
      if (layer.model) {
        walk(layer.model, `${layerPath}/layers/`);
        continue;
      }
      for (const [ownerPath, weights] of weightsByPath) {
        if (ownerPath === layerPath || ownerPath.startsWith(`${layerPath}/`)) {
          layer.weights.push(...weights);
          claimed.add(ownerPath);
        }
      }
    }
  };
  walk(model, "");
  const unclaimed = [...weightsByPath.keys()].filter((ownerPath) => !claimed.has(ownerPath));
  if (unclaimed.length > 0) {
    throw new KerasModelError(
      `model.weights.h5 stores weights at layers/${unclaimed[0]}, which matches no layer of config.json`,
    );
  }
}
