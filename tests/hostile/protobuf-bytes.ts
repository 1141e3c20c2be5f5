/**
 * A tiny protobuf writer: fields as bytes, messages as their concatenation. Hostile models need what no
 * well-behaved encoder writes (a singular field twice, a varint of 2^63, a length past the end), so the
 * corpus builds them here, field by field, rather than through an ONNX library.
 */

export const WIRE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Base-128 varint; negative values are written as 64-bit two's complement (10 bytes), as protobuf does. */
export function varint(value: number | bigint): Uint8Array {
  let remaining = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(remaining & 0x7fn);
    remaining >>= 7n;
    bytes.push(remaining === 0n ? low : low | 0x80);
  } while (remaining !== 0n);
  return Uint8Array.from(bytes);
}

export const tag = (field: number, wireType: number) => varint(field * 8 + wireType);

export const varintField = (field: number, value: number | bigint) =>
  concatBytes([tag(field, WIRE.varint), varint(value)]);

export const bytesField = (field: number, payload: Uint8Array) =>
  concatBytes([tag(field, WIRE.lengthDelimited), varint(payload.length), payload]);

export const stringField = (field: number, text: string) => bytesField(field, new TextEncoder().encode(text));

/** A nested message: the field's payload is the concatenation of the message's own fields. */
export const messageField = (field: number, ...fields: Uint8Array[]) => bytesField(field, concatBytes(fields));

export function fixed32Field(field: number, value: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setFloat32(0, value, true);
  return concatBytes([tag(field, WIRE.fixed32), payload]);
}

/**
 * Reads the top-level fields of a message: where each field starts and ends, and its number and wire
 * type. The fuzz test edits models field by field with it. Returns what it could read before anything
 * malformed.
 */
export interface FieldSpan {
  field: number;
  wireType: number;
  start: number;
  /** Where the tag's value (varint) or payload (length-delimited) starts. */
  valueStart: number;
  end: number;
}

export function readVarint(bytes: Uint8Array, offset: number): { value: bigint; next: number } | null {
  let value = 0n;
  for (let index = offset, shift = 0n; index < bytes.length && index < offset + 10; index++, shift += 7n) {
    value |= BigInt(bytes[index]! & 0x7f) << shift;
    if ((bytes[index]! & 0x80) === 0) return { value, next: index + 1 };
  }
  return null;
}

export function topLevelFields(bytes: Uint8Array, start = 0, end = bytes.length): FieldSpan[] {
  const spans: FieldSpan[] = [];
  let offset = start;
  while (offset < end) {
    const key = readVarint(bytes, offset);
    if (!key) break;
    const field = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    let fieldEnd: number;
    let valueStart = key.next;
    if (wireType === WIRE.varint) {
      const value = readVarint(bytes, key.next);
      if (!value) break;
      fieldEnd = value.next;
    } else if (wireType === WIRE.lengthDelimited) {
      const length = readVarint(bytes, key.next);
      if (!length) break;
      valueStart = length.next;
      fieldEnd = length.next + Number(length.value);
    } else if (wireType === WIRE.fixed64) fieldEnd = key.next + 8;
    else if (wireType === WIRE.fixed32) fieldEnd = key.next + 4;
    else break;
    if (fieldEnd > end) break;
    spans.push({ field, wireType, start: offset, valueStart, end: fieldEnd });
    offset = fieldEnd;
  }
  return spans;
}
