import { describe, expect, it } from "vitest";
import { DataType, encodeModel, tensorValueInfo } from "@/lib/onnx";
import { createModel, promote, readyVersionFromBytes } from "../fixtures/registry";
import { postJson, startReplicaForFile, waitForServed } from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();
const replica = startReplicaForFile();

/** Every protocol datatype the model may use, each passed straight through an Identity node. */
const TENSORS = [
  { name: "ints", type: DataType.INT64, v2: "INT64", inner: [2], data: [-3, 9_007_199_254_740_991, 0, 42] },
  { name: "flags", type: DataType.BOOL, v2: "BOOL", inner: [], data: [true, false] },
  { name: "halves", type: DataType.FLOAT16, v2: "FP16", inner: [3], data: [0.5, -2, 65504, 1.5, 0, -0.25] },
  { name: "words", type: DataType.STRING, v2: "BYTES", inner: [], data: ["héllo", ""] },
  { name: "bytes", type: DataType.UINT8, v2: "UINT8", inner: [], data: [0, 255] },
  { name: "doubles", type: DataType.DOUBLE, v2: "FP64", inner: [], data: [Math.PI, -1e300] },
  { name: "shorts", type: DataType.INT16, v2: "INT16", inner: [], data: [-32768, 32767] },
  { name: "words32", type: DataType.UINT32, v2: "UINT32", inner: [], data: [0, 4_294_967_295] },
] as const;

function identityModel(): Uint8Array {
  const valueInfo = (name: string, type: DataType, inner: readonly number[]) =>
    tensorValueInfo(name, type, ["batch", ...inner]);
  return encodeModel({
    irVersion: 8n,
    opsetImport: [{ domain: "", version: 17n }],
    producerName: "modelyard-tests",
    graph: {
      name: "identities",
      node: TENSORS.map((tensor) => ({ opType: "Identity", input: [tensor.name], output: [`${tensor.name}_out`] })),
      input: TENSORS.map((tensor) => valueInfo(tensor.name, tensor.type, tensor.inner)),
      output: TENSORS.map((tensor) => valueInfo(`${tensor.name}_out`, tensor.type, tensor.inner)),
    },
  });
}

describe("datatypes", () => {
  it("carries every V2 datatype the model takes, in both protocols", async () => {
    const model = await createModel();
    const { version } = await readyVersionFromBytes(model.name, identityModel());
    expect((await promote(model.name, version, "PRODUCTION")).status).toBe(200);
    await waitForServed(replica(), model.name, version);

    const rows = 2;
    const response = await postJson(`${replica().url}/v2/models/${model.name}/infer`, {
      inputs: TENSORS.map((tensor) => ({
        name: tensor.name,
        datatype: tensor.v2,
        shape: [rows, ...tensor.inner],
        data: tensor.data,
      })),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.outputs).toEqual(
      TENSORS.map((tensor) => ({
        name: `${tensor.name}_out`,
        datatype: tensor.v2,
        shape: [rows, ...tensor.inner],
        data: tensor.data,
      })),
    );

    const metadata = (await (await fetch(`${replica().url}/v2/models/${model.name}`)).json()) as {
      inputs: { datatype: string }[];
    };
    expect(metadata.inputs.map((input) => input.datatype)).toEqual(TENSORS.map((tensor) => tensor.v2));

    // TF Serving's row format: one object per instance; binary strings may come as {"b64": ...}.
    const instances: Record<string, unknown>[] = [0, 1].map((row) =>
      Object.fromEntries(
        TENSORS.map((tensor) => {
          const size = tensor.inner.reduce((count, dim) => count * dim, 1);
          const values = tensor.data.slice(row * size, (row + 1) * size);
          return [tensor.name, tensor.inner.length === 0 ? values[0] : values];
        }),
      ),
    );
    instances[1]!.words = { b64: Buffer.from("", "utf8").toString("base64") };
    const predicted = await postJson(`${replica().url}/v1/models/${model.name}:predict`, { instances });
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
    const predictions = predicted.body.predictions as Record<string, unknown>[];
    expect(predictions[0]).toMatchObject({
      ints_out: [-3, 9_007_199_254_740_991],
      flags_out: true,
      words_out: "héllo",
    });
    expect(predictions[1]).toMatchObject({ halves_out: [1.5, 0, -0.25], words_out: "", words32_out: 4_294_967_295 });

    const outOfRange = await postJson(`${replica().url}/v2/models/${model.name}/infer`, {
      inputs: TENSORS.map((tensor) => ({
        name: tensor.name,
        datatype: tensor.v2,
        shape: [rows, ...tensor.inner],
        data: tensor.name === "bytes" ? [0, 256] : tensor.data,
      })),
    });
    expect(outOfRange).toMatchObject({
      status: 400,
      body: { error: "input 'bytes': element 1 is 256, expected an integer in uint8's range 0..255" },
    });
  });
});
