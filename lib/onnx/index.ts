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
export {
  GraphBuilder,
  foldTransposes,
  tensorValueInfo,
  type AttributeValue,
  type DimInit,
  type ElementType,
  type GraphBuilderOptions,
  type NodeOptions,
  type TensorValues,
} from "./graph-builder";
export {
  AttributeType,
  DataLocation,
  DataType,
  decodeModel,
  decodeTensor,
  encodeModel,
  encodeTensor,
  int64ToNumber,
  firstLine,
  type AttributeInit,
  type GraphInit,
  type ModelInit,
  type NodeInit,
  type TensorInit,
  type ValueInfoInit,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./proto";
