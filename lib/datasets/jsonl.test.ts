import { describe, expect, it } from "vitest";
import { JsonLinesParser } from "./jsonl";
import { CHUNK_SIZES, feed, RecordingSink } from "./test-support";

function parse(text: string | Buffer, chunkSize?: number) {
  const sink = new RecordingSink();
  feed(new JsonLinesParser(sink), typeof text === "string" ? Buffer.from(text) : text, chunkSize);
  return sink;
}

function parseAll(text: string) {
  const results = CHUNK_SIZES.map((size) => parse(text, size));
  for (const result of results) expect(result).toEqual(results[0]);
  return results[0]!;
}

describe("JsonLinesParser", () => {
  it("reads one object per line, with or without a final line break, skipping blank lines", () => {
    for (const text of [
      '{"x": 1, "label": "a"}\n{"x": 2.5, "label": "b"}\n',
      '{"x": 1, "label": "a"}\r\n\r\n{"x": 2.5, "label": "b"}',
      '{"x": 1, "label": "a"}\n   \n{"x": 2.5, "label": "b"}\n\n\n',
    ]) {
      const result = parseAll(text);
      expect(result.names).toEqual(["x", "label"]);
      expect(result.rows.map((row) => row.text)).toEqual([
        ["1", "a"],
        ["2.5", "b"],
      ]);
      expect(result.rows.map((row) => row.numbers)).toEqual([
        [1, NaN],
        [2.5, NaN],
      ]);
    }
    expect(parseAll('{"x": 1}\n\n{"x": 2}\n').rows.map((row) => row.line)).toEqual([1, 3]);
  });

  it("skips a byte order mark", () => {
    const result = parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"y": 1}\n')]), 1);
    expect(result.names).toEqual(["y"]);
  });

  it("flattens arrays into indexed columns, nested ones too", () => {
    const result = parseAll(
      '{"pixels": [[1, 2], [3, 4]], "tags": ["a"], "label": 0}\n{"label": 1, "tags": ["b"], "pixels": [[5, 6], [7, 8]]}\n',
    );
    expect(result.names).toEqual(["pixels[0][0]", "pixels[0][1]", "pixels[1][0]", "pixels[1][1]", "tags[0]", "label"]);
    // The second line's keys come in another order; values land in the first line's columns.
    expect(result.rows.map((row) => row.numbers)).toEqual([
      [1, 2, 3, 4, NaN, 0],
      [5, 6, 7, 8, NaN, 1],
    ]);
  });

  it("reads booleans as 1 and 0 and null as missing", () => {
    const result = parseAll('{"ok": true, "v": null}\n{"ok": false, "v": 3}\n');
    expect(result.rows.map((row) => row.numbers)).toEqual([
      [1, NaN],
      [0, 3],
    ]);
    expect(result.rows.map((row) => row.missing)).toEqual([
      [false, true],
      [false, false],
    ]);
  });

  it("says which line is not JSON, not an object, or differs from the first", () => {
    const cases: [string, RegExp][] = [
      ['{"a": 1}\n{"a": 2}\n[1, 2]\n', /^line 3 is not a JSON object \(it is an array\)$/],
      ['{"a": 1}\n\n"text"\n', /^line 3 is not a JSON object \(it is a string\)$/],
      ['{"a": 1}\n{"a": 2,}\n', /^line 2 is not valid JSON$/],
      ['{"a": 1, "b": 2}\n{"a": 1, "c": 2}\n', /^line 2 has different keys from line 1: missing 'b'; unexpected 'c'$/],
      ['{"a": 1, "b": 2}\n{"a": 1}\n', /^line 2 has different keys from line 1: missing 'b'$/],
      ['{"a": [1, 2]}\n{"a": [1]}\n', /^line 2: 'a' is an array of 1, but on line 1 it is an array of 2$/],
      ['{"a": 1}\n{"a": [1]}\n', /^line 2: 'a' is an array, but on line 1 it is a single value$/],
      [
        '{"a": {"b": 1}}\n',
        /^line 1: 'a' holds an object; values must be numbers, strings, booleans, null or arrays of them$/,
      ],
    ];
    for (const [text, message] of cases) expect(() => parse(text)).toThrow(message);
  });

  it("reports each row's end offset, from which reading can resume", () => {
    const text = '{"a": 1}\n{"a": 2}\r\n{"a": 3}';
    expect(parseAll(text).rows.map((row) => row.endOffset)).toEqual([9, 19, text.length]);
    const sink = new RecordingSink();
    feed(new JsonLinesParser(sink, { offset: 9 }), Buffer.from(text).subarray(9), 2);
    expect(sink.names).toEqual(["a"]);
    expect(sink.rows.map((row) => [row.numbers[0], row.endOffset])).toEqual([
      [2, 19],
      [3, text.length],
    ]);
  });
});
