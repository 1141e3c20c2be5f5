import h5wasm from "h5wasm/node";
import { KerasModelError } from "./errors";

/**
 * Keras HDF5 files read with h5wasm (HDF5 compiled to WebAssembly). h5wasm reports a truncated file
 * as a failed open, but a damaged one can make HDF5 call abort() (about 1 in 15 files with random
 * bytes changed in their first 4 KiB): the WASM module's state is then undefined, so this process
 * reads no further file. Untrusted files are read in a child process that is discarded after such a
 * failure; these functions take a path and return plain data (structured-clone safe) for that.
 */

/** The 8 bytes every HDF5 file starts with (when its user block is empty, as Keras writes it). */
export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isHdf5(head: Uint8Array): boolean {
  return head.length >= HDF5_SIGNATURE.length && HDF5_SIGNATURE.every((byte, i) => head[i] === byte);
}

export type WeightValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** One stored variable: its name in the file, shape, HDF5 dtype (e.g. `<f` float32) and values. */
export interface KerasWeight {
  name: string;
  shape: number[];
  dtype: string;
  values: WeightValues;
}

/** What `model.save()` of Keras 1/2 (and tf.keras) puts in an HDF5 file. */
export interface KerasHdf5Model {
  kerasVersion: string | null;
  backend: string | null;
  /** The `model_config` attribute, parsed from JSON but not yet interpreted. */
  modelConfig: unknown;
  /** Each top-level layer's weights in `weight_names` order; layers without weights are absent. */
  layerWeights: Map<string, KerasWeight[]>;
}

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;

let ready: Promise<unknown> | undefined;
let aborted = false;

async function loadH5wasm(): Promise<void> {
  if (aborted) {
    // Not the file's fault: the reader's host must read each file in a process of its own.
    throw new Error("the HDF5 reader aborted on an earlier file in this process and cannot be trusted again");
  }
  ready ??= h5wasm.ready;
  await ready;
}

/** Whether HDF5 aborted in this process (a child process reading uploads should then exit). */
export function hdf5ReaderAborted(): boolean {
  return aborted;
}

/** Opens an HDF5 file read-only, runs `read` and always closes it; failures become KerasModelError. */
async function withHdf5File<T>(filePath: string, what: string, read: (file: H5File) => T): Promise<T> {
  await loadH5wasm();
  let file: H5File | undefined;
  try {
    file = new h5wasm.File(filePath, "r");
    // h5wasm does not throw when HDF5 cannot open the file (truncated, damaged): the id is negative.
    if (file.file_id < 0n) {
      file = undefined;
      throw new KerasModelError(`${what} is damaged or truncated: HDF5 cannot open it`);
    }
    return read(file);
  } catch (error) {
    if (error instanceof KerasModelError) throw error;
    if (error instanceof WebAssembly.RuntimeError) aborted = true;
    const detail = error instanceof Error ? error.message : String(error);
    throw new KerasModelError(`${what} is damaged: HDF5 could not read it (${detail})`);
  } finally {
    if (file && !aborted) file.close();
  }
}

function stringAttribute(node: H5File | H5Group, name: string): string | null {
  const attribute = node.attrs[name];
  if (attribute === undefined) return null;
  const value = attribute.value;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return null;
}

/** A `weight_names` / `layer_names` attribute: a list of strings, or empty when it holds none. */
function namesAttribute(node: H5File | H5Group, name: string): string[] {
  const value = node.attrs[name]?.value;
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === "string");
}

function readDataset(group: H5File | H5Group, datasetPath: string, name: string): KerasWeight {
  const node = group.get(datasetPath);
  if (!(node instanceof h5wasm.Dataset)) {
    throw new KerasModelError(`weight '${name}' is listed but not stored in the file`);
  }
  const values = node.value;
  if (!ArrayBuffer.isView(values) || values instanceof DataView) {
    throw new KerasModelError(`weight '${name}' has dtype ${String(node.dtype)}, which is not numeric`);
  }
  return { name, shape: node.shape ?? [], dtype: String(node.dtype), values: values as WeightValues };
}

/** Reads a Keras 1/2 `model.save()` HDF5 file: its attributes and each layer's weights. */
export async function readKerasHdf5(filePath: string): Promise<KerasHdf5Model> {
  return withHdf5File(filePath, "the HDF5 file", (file) => {
    const configText = stringAttribute(file, "model_config");
    if (configText === null) {
      throw new KerasModelError(
        "the HDF5 file is not a saved Keras model: it has no model_config attribute (save it with model.save(), not save_weights())",
      );
    }
    let modelConfig: unknown;
    try {
      modelConfig = JSON.parse(configText);
    } catch {
      throw new KerasModelError("the HDF5 file's model_config attribute is not valid JSON");
    }
    // Keras 1 and 2 write the weights in `model_weights`; a file written by save_weights() has them at the root.
    const weightsNode = file.keys().includes("model_weights") ? file.get("model_weights") : null;
    const layerWeights = new Map<string, KerasWeight[]>();
    if (weightsNode instanceof h5wasm.Group) {
      const layerNames = namesAttribute(weightsNode, "layer_names");
      for (const layerName of layerNames.length > 0 ? layerNames : weightsNode.keys()) {
        const layerGroup = weightsNode.get(layerName);
        if (!(layerGroup instanceof h5wasm.Group)) continue;
        const weightNames = namesAttribute(layerGroup, "weight_names");
        if (weightNames.length === 0) continue;
        layerWeights.set(
          layerName,
          weightNames.map((weightName) => readDataset(layerGroup, weightName, weightName)),
        );
      }
    }
    return {
      kerasVersion: stringAttribute(file, "keras_version"),
      backend: stringAttribute(file, "backend"),
      modelConfig,
      layerWeights,
    };
  });
}

/**
 * Reads a Keras 3 `model.weights.h5`: every variable under `layers/`, by its path without the
 * `vars` steps (`layers/dense/vars/0` becomes `dense` → weight 0), in numeric order. The paths are
 * those Keras 3 derives from the layer classes (`dense`, `dense_1`, ...), matched to layers by config.ts.
 */
export async function readKeras3Weights(filePath: string): Promise<Map<string, KerasWeight[]>> {
  return withHdf5File(filePath, "model.weights.h5", (file) => {
    const weightsByPath = new Map<string, KerasWeight[]>();
    const layers = file.keys().includes("layers") ? file.get("layers") : null;
    if (!(layers instanceof h5wasm.Group)) return weightsByPath;
    const walk = (group: H5Group, groupPath: string): void => {
      for (const key of group.keys()) {
        const child = group.get(key);
        if (!(child instanceof h5wasm.Group)) continue;
        if (key !== "vars") {
          walk(child, groupPath === "" ? key : `${groupPath}/${key}`);
          continue;
        }
        const indices = child
          .keys()
          .filter((name) => /^\d+$/.test(name))
          .sort((a, b) => Number(a) - Number(b));
        if (indices.length === 0) continue;
        const owner = groupPath;
        const weights = weightsByPath.get(owner) ?? [];
        for (const index of indices) weights.push(readDataset(child, index, `${owner}/vars/${index}`));
        weightsByPath.set(owner, weights);
      }
    };
    walk(layers, "");
    return weightsByPath;
  });
}
