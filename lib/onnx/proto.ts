/**
 * The ONNX protobuf schema (onnx-proto, ONNX v1.10) made usable from ESM.
 *
 * onnx-proto is a CommonJS bundle that assigns `module.exports = $root`, so Node's ESM loader cannot
 * see a named `onnx` export: `import { onnx } from "onnx-proto"` type-checks but is `undefined` (or a
 * SyntaxError) at runtime under plain Node/tsx. The default import is the CommonJS `module.exports`
 * everywhere (Node, tsx, vitest, bundlers). Import `onnx` from this module for values; the merged
 * namespace below carries the message types so `onnx.IModelProto` keeps working as a type.
 */
import onnxProtoPackage from "onnx-proto";
import type { onnx as OnnxSchema } from "onnx-proto";
import { OnnxModelError } from "./errors";

export const onnx: typeof OnnxSchema = onnxProtoPackage.onnx;

// Type-only namespace merged with the value above (the schema's interfaces, re-exported by name).
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace onnx {
  export type IModelProto = OnnxSchema.IModelProto;
  export type IGraphProto = OnnxSchema.IGraphProto;
  export type INodeProto = OnnxSchema.INodeProto;
  export type IAttributeProto = OnnxSchema.IAttributeProto;
  export type ITensorProto = OnnxSchema.ITensorProto;
  export type ISparseTensorProto = OnnxSchema.ISparseTensorProto;
  export type IValueInfoProto = OnnxSchema.IValueInfoProto;
  export type ITypeProto = OnnxSchema.ITypeProto;
  export type ITensorShapeProto = OnnxSchema.ITensorShapeProto;
  export type IOperatorSetIdProto = OnnxSchema.IOperatorSetIdProto;
  export type IFunctionProto = OnnxSchema.IFunctionProto;
}

/** An int64 field as protobufjs hands it out: a number, or a `Long` when the long package is present. */
export type Int64 = NonNullable<OnnxSchema.IModelProto["irVersion"]>;

/** Converts an int64 field to a number, refusing values a JS number cannot hold exactly. */
export function int64ToNumber(value: Int64, what: string): number {
  const asNumber = typeof value === "number" ? value : value.toNumber();
  if (!Number.isSafeInteger(asNumber)) {
    throw new OnnxModelError(`${what} is ${value.toString()}, which is out of range for this model`);
  }
  return asNumber;
}

/**
 * Whether a protobuf field was actually present. Decoded protobufjs messages expose defaults through
 * the prototype (0, "", empty Long), so only own properties count; plain objects behave the same.
 */
export function hasOwnField<T extends object>(message: T, field: keyof T): boolean {
  return Object.prototype.hasOwnProperty.call(message, field) && message[field] != null;
}

/** Decodes bytes as a ModelProto, turning protobuf errors into a message a person can act on. */
export function decodeModel(bytes: Uint8Array): onnx.IModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxModelError(`the file is truncated or is not an ONNX protobuf: ${describeDecodeError(error)}`);
  }
}

function describeDecodeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // protobufjs: "index out of range: <position> + <length needed> > <buffer length>"
  const outOfRange = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(message);
  if (outOfRange) {
    const [, position, needed, available] = outOfRange.map(Number) as [number, number, number, number];
    return `it ends after ${available} bytes where at least ${position + needed} were expected`;
  }
  return firstLine(message, 200);
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The first line of a (possibly multi-line, possibly huge) message, cut to `maxLength` characters. */
export function firstLine(message: string, maxLength: number): string {
  const line = (message.split("\n", 1)[0] ?? "").trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}
