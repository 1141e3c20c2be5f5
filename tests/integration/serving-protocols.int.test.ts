import path from "node:path";
import { describe, expect, it } from "vitest";
import { BREAST_CANCER_ONNX, DIGITS_ONNX, FIXTURE_MODELS } from "../fixtures/registry";
import { csvFeatures, postJson, referenceOutputs, servedModel, startReplicaForFile } from "../fixtures/serving";
import { startValidateWorkerForFile } from "../fixtures/worker";

startValidateWorkerForFile();
const replica = startReplicaForFile();

type V2Output = { name: string; datatype: string; shape: number[]; data: number[] };

const digitsRows = (count: number) => csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), count);
const cancerRows = (count: number) => csvFeatures(path.join(FIXTURE_MODELS, "breast_cancer_test.csv"), count);

describe("KServe V2", () => {
  it("answers like onnxruntime on both shared models, with flat or nested data", async () => {
    for (const [file, rows, features] of [
      [DIGITS_ONNX, await digitsRows(5), 64],
      [BREAST_CANCER_ONNX, await cancerRows(4), 30],
    ] as const) {
      const { model, version } = await servedModel(replica(), file);
      const flat = Float32Array.from(rows.flat());
      const expected = await referenceOutputs(file, flat, [rows.length, features]);
      for (const data of [Array.from(flat), rows]) {
        const response = await postJson(`${replica().url}/v2/models/${model.name}/infer`, {
          id: "req-1",
          inputs: [{ name: "input", shape: [rows.length, features], datatype: "FP32", data }],
        });
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body).toMatchObject({
          model_name: model.name,
          model_version: String(version.version),
          id: "req-1",
        });
        expect(response.headers.get("x-request-id")).toBe("req-1");
        const [output] = response.body.outputs as V2Output[];
        expect(output).toMatchObject({ name: "output", datatype: "FP32", shape: [...expected.dims] });
        expect(Float32Array.from(output!.data)).toEqual(expected.data);
      }
    }
  });

  it("generates a request id when none is given, and selects requested outputs", async () => {
    const { model } = await servedModel(replica(), DIGITS_ONNX);
    const [row] = await digitsRows(1);
    const request = { inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: row }] };
    const response = await postJson(`${replica().url}/v2/models/${model.name}/infer`, {
      ...request,
      outputs: [{ name: "output" }],
    });
    expect(response.status).toBe(200);
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-request-id")).toBe(response.body.id);
    const unknown = await postJson(`${replica().url}/v2/models/${model.name}/infer`, {
      ...request,
      outputs: [{ name: "probabilities" }],
    });
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/unknown output 'probabilities'/) },
    });
  });

  it("serves health, server and model metadata", async () => {
    const { model, version } = await servedModel(replica(), DIGITS_ONNX);
    const get = async (url: string) => {
      const response = await fetch(`${replica().url}${url}`);
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await get("/v2/health/live")).toEqual({ status: 200, body: { live: true } });
    expect(await get("/v2/health/ready")).toEqual({ status: 200, body: { ready: true } });
    expect(await get("/v2")).toMatchObject({ status: 200, body: { name: "modelyard", extensions: [] } });
    expect(await get(`/v2/models/${model.name}`)).toEqual({
      status: 200,
      body: {
        name: model.name,
        versions: [String(version.version)],
        platform: "onnxruntime_onnx",
        inputs: [{ name: "input", datatype: "FP32", shape: [-1, 64] }],
        outputs: [{ name: "output", datatype: "FP32", shape: [-1, 10] }],
      },
    });
    expect(await get(`/v2/models/${model.name}/versions/${version.version}/ready`)).toEqual({
      status: 200,
      body: { name: model.name, ready: true },
    });
  });
});

describe("TensorFlow Serving REST", () => {
  it("answers row and columnar requests like onnxruntime", async () => {
    const { model } = await servedModel(replica(), BREAST_CANCER_ONNX);
    const rows = await cancerRows(3);
    const expected = await referenceOutputs(BREAST_CANCER_ONNX, Float32Array.from(rows.flat()), [3, 30]);
    const expectedRows = [0, 1, 2].map((row) => Array.from(expected.data.subarray(row * 2, row * 2 + 2)));

    const byRow = await postJson(`${replica().url}/v1/models/${model.name}:predict`, { instances: rows });
    expect(byRow.status).toBe(200);
    expect(byRow.body.predictions).toEqual(expectedRows);
    expect(byRow.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const named = await postJson(`${replica().url}/v1/models/${model.name}:predict`, {
      signature_name: "serving_default",
      instances: rows.map((row) => ({ input: row })),
    });
    expect(named.body.predictions).toEqual(expectedRows);

    const columnar = await postJson(`${replica().url}/v1/models/${model.name}:predict`, { inputs: rows });
    expect(columnar).toMatchObject({ status: 200, body: { outputs: expectedRows } });
    const columnarNamed = await postJson(`${replica().url}/v1/models/${model.name}:predict`, {
      inputs: { input: rows },
    });
    expect(columnarNamed.body.outputs).toEqual(expectedRows);
  });

  it("reports model status and metadata", async () => {
    const { model, version } = await servedModel(replica(), DIGITS_ONNX);
    const status = await fetch(`${replica().url}/v1/models/${model.name}`);
    expect(await status.json()).toEqual({
      model_version_status: [
        { version: String(version.version), state: "AVAILABLE", status: { error_code: "OK", error_message: "" } },
      ],
    });
    const metadata = (await (await fetch(`${replica().url}/v1/models/${model.name}/metadata`)).json()) as {
      model_spec: unknown;
      metadata: { signature_def: { signature_def: { serving_default: { inputs: unknown; method_name: string } } } };
    };
    expect(metadata.model_spec).toEqual({ name: model.name, signature_name: "", version: String(version.version) });
    const signature = metadata.metadata.signature_def.signature_def.serving_default;
    expect(signature.method_name).toBe("tensorflow/serving/predict");
    expect(signature.inputs).toEqual({
      input: {
        dtype: "DT_FLOAT",
        tensor_shape: {
          dim: [
            { size: "-1", name: "" },
            { size: "64", name: "" },
          ],
          unknown_rank: false,
        },
        name: "input",
      },
    });
  });
});
