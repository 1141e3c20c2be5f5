import { readFileSync } from "node:fs";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { OnnxModelError } from "./errors";
import { DataLocation, decodeModel, decodeTensor, encodeModel, encodeTensor } from "./proto";
import { constantModel, externalTensor, repeatedFieldAttribute } from "@/tests/fixtures/external-data";
import { DIGITS_ONNX } from "@/tests/fixtures/paths";

const decodeError = (bytes: Uint8Array, decode: (bytes: Uint8Array) => unknown = decodeModel): string => {
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(OnnxModelError);
    return (error as Error).message;
  }
  throw new Error("decoded without an error");
};

/** A TensorProto with one field written by hand. */
const tensorWith = (write: (writer: BinaryWriter) => BinaryWriter) => write(new BinaryWriter()).finish();

describe("decodeModel reads what onnxruntime's parser reads", () => {
  it("merges a singular message field that appears twice, as protobuf does", () => {
    const model = decodeModel(constantModel(repeatedFieldAttribute("secret.bin")));
    const tensor = model.graph!.node[0]!.attribute[0]!.t!;
    // The first copy's external data survives the second copy, whose fields are merged in.
    expect(tensor.dataLocation).toBe(DataLocation.EXTERNAL);
    expect(tensor.externalData.map((entry) => [entry.key, entry.value])).toEqual([["location", "secret.bin"]]);
    expect(tensor.rawData).toEqual(new Uint8Array(0));
  });

  it("reads packed and unpacked lists alike, and skips unknown fields and groups", () => {
    const packed = tensorWith((writer) => writer.tag(1, WireType.LengthDelimited).bytes(new Uint8Array([2, 3])));
    const unpacked = tensorWith((writer) => writer.tag(1, WireType.Varint).int64(2).tag(1, WireType.Varint).int64(3));
    const unknown = tensorWith((writer) =>
      writer
        .tag(1, WireType.Varint)
        .int64(2)
        .tag(99, WireType.StartGroup)
        .tag(1, WireType.Bit64)
        .fixed64(7)
        .tag(99, WireType.EndGroup)
        .tag(98, WireType.LengthDelimited)
        .bytes(new Uint8Array(5))
        .tag(1, WireType.Varint)
        .int64(3),
    );
    for (const bytes of [packed, unpacked, unknown]) expect(decodeTensor(bytes).dims).toEqual([2n, 3n]);
  });

  it("round-trips a real model", () => {
    const bytes = new Uint8Array(readFileSync(DIGITS_ONNX));
    const model = decodeModel(bytes);
    expect(decodeModel(encodeModel(model))).toEqual(model);
  });
});

describe("decodeModel refuses bytes a protobuf decoder could read two ways", () => {
  it("a known field sent with another wire type", () => {
    // dims (repeated int64) as a 32-bit value: C++ would skip it, a trusting decoder misreads it.
    const bytes = tensorWith((writer) => writer.tag(1, WireType.Bit32).fixed32(5));
    expect(decodeError(bytes, decodeTensor)).toBe(
      "the file is truncated or is not an ONNX TensorProto: field 'dims' of TensorProto at byte 0 is a 32-bit value, " +
        "where onnx.proto declares a varint",
    );
  });

  it("a message field sent as a varint", () => {
    const attribute = new BinaryWriter().tag(5, WireType.Varint).uint32(3).finish();
    const node = new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(attribute).finish();
    const graph = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(node).finish();
    const model = new BinaryWriter().tag(7, WireType.LengthDelimited).bytes(graph).finish();
    expect(decodeError(model)).toMatch(/field 't' of AttributeProto at byte 6 is a varint/);
  });

  it("a field that runs past the end of the message holding it", () => {
    const tensor = externalTensor("x");
    // The graph claims fewer bytes than its initializer needs.
    const graph = new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(tensor).finish();
    const model = new BinaryWriter()
      .tag(7, WireType.LengthDelimited)
      .uint32(graph.length - 1)
      .raw(graph.subarray(0, graph.length - 1))
      .tag(1, WireType.Varint)
      .int64(8)
      .finish();
    expect(decodeError(model)).toMatch(/a field runs past the end of the message that holds it/);
  });

  it("a packed list that is not whole values", () => {
    const bytes = tensorWith((writer) => writer.tag(4, WireType.LengthDelimited).bytes(new Uint8Array(6)));
    expect(decodeError(bytes, decodeTensor)).toMatch(
      /the packed list 'float_data' at byte 2 is not whole 4-byte values/,
    );
  });

  it("a group end without its start, a field number 0, and a varint longer than 10 bytes", () => {
    expect(
      decodeError(
        tensorWith((writer) => writer.tag(3, WireType.EndGroup)),
        decodeTensor,
      ),
    ).toMatch(/a group ends at byte 0 where none began/);
    expect(decodeError(new Uint8Array([0x00, 0x01]), decodeTensor)).toMatch(/byte 0 holds no valid field tag/);
    expect(decodeError(new Uint8Array([0x08, ...new Array<number>(10).fill(0x80), 0x01]), decodeTensor)).toMatch(
      /the varint at byte 1 is longer than 10 bytes/,
    );
  });

  it("messages nested deeper than protobuf's limit of 100", () => {
    // TypeProto.Sequence.elem_type → TypeProto → … 60 sequences deep is 120 messages.
    let type = new Uint8Array(0);
    for (let depth = 0; depth < 60; depth++) {
      const sequence = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(type).finish();
      type = new BinaryWriter().tag(4, WireType.LengthDelimited).bytes(sequence).finish();
    }
    const valueInfo = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(type).finish();
    const graph = new BinaryWriter().tag(11, WireType.LengthDelimited).bytes(valueInfo).finish();
    const model = new BinaryWriter().tag(7, WireType.LengthDelimited).bytes(graph).finish();
    expect(decodeError(model)).toBe(
      "the model nests messages more than 100 deep (subgraphs inside subgraphs, or nested types), " +
        "which protobuf and onnxruntime do not read",
    );
  });

  it("still explains a truncated file by its length", () => {
    const bytes = encodeTensor({ name: "w", rawData: new Uint8Array(100) });
    expect(decodeError(bytes.subarray(0, 50), decodeTensor)).toBe(
      `the file is truncated or is not an ONNX TensorProto: it ends after 50 bytes where at least ${bytes.length} were expected`,
    );
  });
});
