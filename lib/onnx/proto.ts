/**
 * ONNX protobuf read and write (onnx-buf: ONNX 1.20's onnx.proto compiled for @bufbuild/protobuf).
 *
 * What the checks in this folder see must be what onnxruntime's C++ parser sees. @bufbuild/protobuf
 * follows the protobuf spec where it matters (a singular message field that appears twice is merged,
 * a scalar keeps its last value, repeated fields append, packed and unpacked lists both read), but
 * its decoder trusts each field's wire type: a message field sent as a varint, for instance, is read
 * as a message of that length, where C++ skips it as an unknown field and reads the bytes after it
 * as fields of the enclosing message. So decoding first walks the bytes against the schema and
 * refuses any field whose wire type is not the declared one, any field that runs past the end of the
 * message holding it and any packed list that does not fill its bytes exactly.
 */
import { create, fromBinary, toBinary, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
} from "onnx-buf";
import { OnnxModelError } from "./errors";

export type {
  AttributeProto,
  FunctionProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  SparseTensorProto,
  TensorProto,
  TensorShapeProto,
  TypeProto,
  ValueInfoProto,
} from "onnx-buf";
export {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
/** TensorProto.DataType, TensorProto.DataLocation and AttributeProto.AttributeType under short names. */
export { TensorProto_DataType as DataType };
export { TensorProto_DataLocation as DataLocation };
export { AttributeProto_AttributeType as AttributeType };

/** A message written as a plain object (every field optional, nested messages plain too), as `create` takes it. */
type PlainInit<Init> = Exclude<Init, Message>;
export type ModelInit = PlainInit<MessageInitShape<typeof ModelProtoSchema>>;
export type TensorInit = PlainInit<MessageInitShape<typeof TensorProtoSchema>>;
export type GraphInit = PlainInit<NonNullable<ModelInit["graph"]>>;
export type NodeInit = PlainInit<NonNullable<GraphInit["node"]>[number]>;
export type AttributeInit = PlainInit<NonNullable<NodeInit["attribute"]>[number]>;
export type SparseTensorInit = PlainInit<NonNullable<AttributeInit["sparseTensor"]>>;
export type ValueInfoInit = PlainInit<NonNullable<GraphInit["input"]>[number]>;

/** Converts an int64 field to a number, refusing values a JS number cannot hold exactly. */
export function int64ToNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new OnnxModelError(`${what} is ${value.toString()}, which is out of range for this model`);
  }
  return Number(value);
}

/** Decodes bytes as a ModelProto, turning protobuf errors into a message a person can act on. */
export function decodeModel(bytes: Uint8Array): MessageShape<typeof ModelProtoSchema> {
  return decodeStrictly(ModelProtoSchema, bytes, "an ONNX protobuf");
}

/** Decodes a serialized TensorProto (the input_0.pb / output_0.pb files of ONNX test data sets). */
export function decodeTensor(bytes: Uint8Array): MessageShape<typeof TensorProtoSchema> {
  return decodeStrictly(TensorProtoSchema, bytes, "an ONNX TensorProto");
}

export function encodeModel(model: MessageInitShape<typeof ModelProtoSchema>): Uint8Array {
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, model));
}

export function encodeTensor(tensor: MessageInitShape<typeof TensorProtoSchema>): Uint8Array {
  return toBinary(TensorProtoSchema, create(TensorProtoSchema, tensor));
}

function decodeStrictly<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array, what: string): MessageShape<Desc> {
  try {
    checkWireFormat(schema, bytes, 0, bytes.length, 1);
    return fromBinary(schema, bytes);
  } catch (error) {
    if (error instanceof NestingError) throw new OnnxModelError(error.message);
    const reason = error instanceof WireFormatError ? error.message : describeDecodeError(error);
    throw new OnnxModelError(`the file is truncated or is not ${what}: ${reason}`);
  }
}

function describeDecodeError(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error), 200);
}

/** The first line of a (possibly multi-line, possibly huge) message, cut to `maxLength` characters. */
export function firstLine(message: string, maxLength: number): string {
  const line = (message.split("\n", 1)[0] ?? "").trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

// ---------------------------------------------------------------------------------------------------
// The wire-format walk. It reads tags and lengths only (never values), so it costs little next to the
// decode that follows it, and it allocates nothing.

class WireFormatError extends Error {}

/** protobuf's default nesting limit, which both onnxruntime's parser and @bufbuild/protobuf apply. */
const MAX_NESTING = 100;
/** Well-formed, but deeper than any protobuf parser reads (If/Loop bodies inside each other, say). */
class NestingError extends Error {
  constructor() {
    super(
      `the model nests messages more than ${MAX_NESTING} deep (subgraphs inside subgraphs, or nested types), ` +
        "which protobuf and onnxruntime do not read",
    );
  }
}

/** A varint is at most 10 bytes long (64 bits, 7 per byte). */
const MAX_VARINT_BYTES = 10;

const WIRE_TYPE_NAMES: Record<number, string> = {
  [WireType.Varint]: "a varint",
  [WireType.Bit64]: "a 64-bit value",
  [WireType.LengthDelimited]: "a length-delimited value",
  [WireType.StartGroup]: "a group",
  [WireType.EndGroup]: "a group end",
  [WireType.Bit32]: "a 32-bit value",
};

function scalarWireType(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    default:
      return WireType.Varint;
  }
}

/** How a field may appear on the wire, and what to check inside a length-delimited payload. */
type FieldRule = {
  field: DescField;
  /** The wire type of one element (a group for delimited message encoding). */
  wireType: WireType;
  /** For repeated numbers: a length-delimited payload is a packed list of elements of `wireType`. */
  packable: boolean;
  /** For messages: the payload is one, checked field by field. */
  message: DescMessage | null;
};

const rulesCache = new WeakMap<DescMessage, Map<number, FieldRule>>();

function fieldRules(desc: DescMessage): Map<number, FieldRule> {
  let rules = rulesCache.get(desc);
  if (rules) return rules;
  rules = new Map();
  for (const field of desc.fields) rules.set(field.number, fieldRule(field));
  rulesCache.set(desc, rules);
  return rules;
}

function fieldRule(field: DescField): FieldRule {
  const messageRule = (message: DescMessage, delimited: boolean): FieldRule => ({
    field,
    wireType: delimited ? WireType.StartGroup : WireType.LengthDelimited,
    packable: false,
    message,
  });
  switch (field.fieldKind) {
    case "scalar":
      return { field, wireType: scalarWireType(field.scalar), packable: false, message: null };
    case "enum":
      return { field, wireType: WireType.Varint, packable: false, message: null };
    case "message":
      return messageRule(field.message, field.delimitedEncoding);
    case "list":
      if (field.listKind === "message") return messageRule(field.message, field.delimitedEncoding);
      if (field.listKind === "enum") return { field, wireType: WireType.Varint, packable: true, message: null };
      {
        const wireType = scalarWireType(field.scalar);
        return { field, wireType, packable: wireType !== WireType.LengthDelimited, message: null };
      }
    case "map":
      // onnx.proto has no maps; an entry is a small message the decoder checks itself.
      return { field, wireType: WireType.LengthDelimited, packable: false, message: null };
  }
}

/** Reads a varint at `position` that must end before `end`: [value, position after it]. */
function readVarint(bytes: Uint8Array, position: number, end: number): [number, number] {
  let value = 0;
  let multiplier = 1;
  for (let index = position; index < position + MAX_VARINT_BYTES; index++) {
    if (index >= end) throw truncated(bytes, end, index + 1);
    const byte = bytes[index]!;
    value += (byte & 0x7f) * multiplier; // arithmetic: values may exceed 2^31
    if ((byte & 0x80) === 0) return [value, index + 1];
    multiplier *= 128;
  }
  throw new WireFormatError(`the varint at byte ${position} is longer than ${MAX_VARINT_BYTES} bytes`);
}

function truncated(bytes: Uint8Array, end: number, needed: number): WireFormatError {
  return end === bytes.length
    ? new WireFormatError(`it ends after ${bytes.length} bytes where at least ${needed} were expected`)
    : new WireFormatError(`a field runs past the end of the message that holds it (byte ${end})`);
}

/**
 * Checks the fields in bytes[start, end) against `desc` (null for an unknown group, whose fields are
 * only checked for form), and every message inside them. A group stops at its end tag: the position
 * after it is returned; otherwise `end` is.
 */
function checkWireFormat(
  desc: DescMessage | null,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  groupNumber?: number,
): number {
  if (depth > MAX_NESTING) throw new NestingError();
  const rules = desc ? fieldRules(desc) : undefined;
  let position = start;
  while (position < end) {
    const tagAt = position;
    const [tag, afterTag] = readVarint(bytes, position, end);
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === WireType.EndGroup) {
      if (fieldNumber !== groupNumber) throw new WireFormatError(`a group ends at byte ${tagAt} where none began`);
      return afterTag;
    }
    if (fieldNumber === 0 || fieldNumber >= 2 ** 29 || wireType > WireType.Bit32) {
      throw new WireFormatError(`byte ${tagAt} holds no valid field tag`);
    }
    const rule = rules?.get(fieldNumber);
    if (rule && wireType !== rule.wireType && !(rule.packable && wireType === WireType.LengthDelimited)) {
      throw new WireFormatError(
        `field '${rule.field.name}' of ${desc!.name} at byte ${tagAt} is ${WIRE_TYPE_NAMES[wireType]}, ` +
          `where onnx.proto declares ${WIRE_TYPE_NAMES[rule.wireType]}`,
      );
    }
    position = skipValue(bytes, afterTag, end, wireType, fieldNumber, rule, depth);
  }
  if (groupNumber !== undefined) throw truncated(bytes, end, end + 1);
  return position;
}

/** Skips (checking) the value of one field whose tag ended at `position`; returns where it ends. */
function skipValue(
  bytes: Uint8Array,
  position: number,
  end: number,
  wireType: number,
  fieldNumber: number,
  rule: FieldRule | undefined,
  depth: number,
): number {
  switch (wireType) {
    case WireType.Varint:
      return readVarint(bytes, position, end)[1];
    case WireType.Bit64:
      return fixedEnd(bytes, position, 8, end);
    case WireType.Bit32:
      return fixedEnd(bytes, position, 4, end);
    case WireType.LengthDelimited: {
      const [length, payloadStart] = readVarint(bytes, position, end);
      const payloadEnd = payloadStart + length;
      if (payloadEnd > end) throw truncated(bytes, end, payloadEnd);
      if (rule?.message) checkWireFormat(rule.message, bytes, payloadStart, payloadEnd, depth + 1);
      else if (rule?.packable) checkPackedList(bytes, payloadStart, payloadEnd, rule);
      return payloadEnd;
    }
    default: // a group: a delimited message, or an unknown field
      return checkWireFormat(rule?.message ?? null, bytes, position, end, depth + 1, fieldNumber);
  }
}

function fixedEnd(bytes: Uint8Array, position: number, size: number, end: number): number {
  if (position + size > end) throw truncated(bytes, end, position + size);
  return position + size;
}

/** A packed list must be whole elements that fill its payload exactly (C++ refuses anything else). */
function checkPackedList(bytes: Uint8Array, start: number, end: number, rule: FieldRule): void {
  const size = rule.wireType === WireType.Bit64 ? 8 : rule.wireType === WireType.Bit32 ? 4 : 0;
  if (size === 0) {
    for (let position = start; position < end;) position = readVarint(bytes, position, end)[1];
  } else if ((end - start) % size !== 0) {
    throw new WireFormatError(`the packed list '${rule.field.name}' at byte ${start} is not whole ${size}-byte values`);
  }
}
