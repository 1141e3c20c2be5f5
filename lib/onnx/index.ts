export { OnnxModelError } from "./errors";
export { detectFormat, readHead, HEAD_BYTES, type DetectedFormat, type ModelFormat } from "./format";
export {
  inspectOnnx,
  inspectModelProto,
  dtypeName,
  allGraphs,
  UNKNOWN_RANK_SHAPE,
  type OnnxInspection,
  type TensorSpec,
} from "./inspect";
export { checkGraph } from "./check";
export { buildMlp, randomMlp, randomMlpLayers, mulberry32, type MlpLayer, type MlpSpec } from "./build";
export { onnx, decodeModel, encodeModel, int64ToNumber, firstLine } from "./proto";
