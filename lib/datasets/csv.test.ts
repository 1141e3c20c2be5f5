import { describe, expect, it } from "vitest";
import { CsvParser, parseNumber } from "./csv";
import { MAX_ROW_BYTES } from "./table";
import { CHUNK_SIZES, feed, RecordingSink } from "./test-support";

function parse(text: string | Buffer, chunkSize?: number, options: ConstructorParameters<typeof CsvParser>[1] = {}) {
  const sink = new RecordingSink();
  feed(new CsvParser(sink, options), typeof text === "string" ? Buffer.from(text) : text, chunkSize);
  return sink;
}

/** Parses with every chunk size and checks they all agree, then returns the result. */
function parseAll(text: string) {
  const results = CHUNK_SIZES.map((size) => parse(text, size));
  for (const result of results) {
    expect(result.names).toEqual(results[0]!.names);
    expect(result.rows).toEqual(results[0]!.rows);
  }
  return results[0]!;
}

const texts = (sink: RecordingSink) => sink.rows.map((row) => row.text);

describe("CsvParser", () => {
  it("reads a header and rows, with or without a final line break", () => {
    for (const text of ["a,b\n1,2\n3,4\n", "a,b\n1,2\n3,4"]) {
      const result = parseAll(text);
      expect(result.names).toEqual(["a", "b"]);
      expect(texts(result)).toEqual([
        ["1", "2"],
        ["3", "4"],
      ]);
      expect(result.rows.map((row) => row.numbers)).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(result.rows.map((row) => row.line)).toEqual([2, 3]);
    }
  });

  it("accepts CRLF and lone CR line endings and skips blank lines, also at the end", () => {
    const expected = [
      ["1", "2"],
      ["3", "4"],
    ];
    for (const text of [
      "a,b\r\n1,2\r\n3,4\r\n",
      "a,b\r1,2\r3,4",
      "a,b\n1,2\n\n3,4\n\n\n",
      "a,b\r\n1,2\r\n3,4\r\n\r\n",
    ]) {
      const result = parseAll(text);
      expect(result.names).toEqual(["a", "b"]);
      expect(texts(result)).toEqual(expected);
    }
    // Line numbers count the blank lines.
    expect(parseAll("a,b\n\n1,2\n\n3,4\n").rows.map((row) => row.line)).toEqual([3, 5]);
  });

  it("skips a UTF-8 byte order mark", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const size of CHUNK_SIZES) {
      const result = parse(Buffer.concat([bom, Buffer.from("label,x\n1,2\n")]), size);
      expect(result.names).toEqual(["label", "x"]);
      expect(texts(result)).toEqual([["1", "2"]]);
    }
  });

  it("reads quoted fields with commas, escaped quotes and line breaks", () => {
    const text = 'id,note,value\r\n1,"a, b",2\r\n2,"say ""hi""",3\r\n3,"two\r\nlines",4\r\n4,"",5\r\n5,x,"6"\r\n';
    const result = parseAll(text);
    expect(texts(result)).toEqual([
      ["1", "a, b", "2"],
      ["2", 'say "hi"', "3"],
      ["3", "two\r\nlines", "4"],
      ["4", "", "5"],
      ["5", "x", "6"],
    ]);
    // The row after a quoted line break starts one line later.
    expect(result.rows.map((row) => row.line)).toEqual([2, 3, 4, 6, 7]);
    expect(result.rows[3]!.missing).toEqual([false, true, false]);
    // A quoted number is a number.
    expect(result.rows[4]!.numbers[2]).toBe(6);
  });

  it("keeps empty fields, including a trailing one at the end of the file", () => {
    const result = parseAll("a,b,c\n1,,3\n,,\n4,5,");
    expect(texts(result)).toEqual([
      ["1", "", "3"],
      ["", "", ""],
      ["4", "5", ""],
    ]);
    expect(result.rows[0]!.missing).toEqual([false, true, false]);
    expect(result.rows[1]!.numbers.every(Number.isNaN)).toBe(true);
  });

  it("names empty header cells by position and trims header names", () => {
    expect(parseAll(",p0, label \n0,1,2\n").names).toEqual(["column_1", "p0", "label"]);
  });

  it("keeps a quote inside an unquoted field as text", () => {
    expect(texts(parseAll('a,b\n5" disk,1\n'))).toEqual([['5" disk', "1"]]);
  });

  it("says which line has an unclosed quote or text after a closing quote", () => {
    expect(() => parse('a,b\n1,2\n3,"open\n')).toThrow(/^line 3: a quoted field is never closed$/);
    expect(() => parse('a,b\n1,"x"y\n')).toThrow(/^line 2: field 2 has text after its closing quote/);
  });

  it("reports each row's end offset, from which reading can resume without the header", () => {
    const text = "a,b\n1,2\r\n3,4\n\n5,6";
    const all = parseAll(text);
    expect(all.rows.map((row) => row.endOffset)).toEqual([9, 13, text.length]);
    const bytes = Buffer.from(text);
    for (const size of CHUNK_SIZES) {
      const sink = new RecordingSink();
      const parser = new CsvParser(sink, { offset: 9, columns: ["a", "b"] });
      feed(parser, bytes.subarray(9), size);
      expect(sink.names).toEqual(["a", "b"]);
      expect(texts(sink)).toEqual([
        ["3", "4"],
        ["5", "6"],
      ]);
      expect(sink.rows.map((row) => row.endOffset)).toEqual([13, text.length]);
    }
  });

  it("reads rows far longer than a chunk", () => {
    const values = Array.from({ length: 50_000 }, (_, index) => (index % 97) / 8);
    const header = values.map((_, index) => `c${index}`).join(",");
    const text = `${header}\n${values.join(",")}\n${values.join(",")}\n`;
    const result = parse(text, 4096);
    expect(result.rows).toHaveLength(2);
    expect(result.rows[1]!.numbers).toEqual(values);
  });

  it("refuses a row longer than the limit instead of buffering it", () => {
    const parser = new CsvParser(new RecordingSink());
    const chunk = Buffer.alloc(8 * 1024 ** 2, 0x61);
    expect(() => {
      for (let sent = 0; sent <= MAX_ROW_BYTES; sent += chunk.length) parser.push(chunk);
    }).toThrow(/^line 1 is longer than 64 MiB/);
  });
});

describe("parseNumber", () => {
  const parseText = (text: string) => parseNumber(Buffer.from(`,${text},`), 1, text.length + 1);

  it("parses decimal numbers exactly as Number() does", () => {
    const samples = [
      "0",
      "-0",
      "+1",
      "007",
      "1.",
      ".5",
      "-.25",
      "0.6875",
      "3.14159",
      "1e3",
      "1E-3",
      "-2.5e+10",
      "123456789012345",
      "1234567890123456789",
      "0.1234567890123456789",
      "0.30000000000000004",
      "9007199254740993",
      "1e-320",
      "1.7976931348623157e308",
      "  42  ",
      "\t-1.5",
      "0.000000000000000000000000123",
    ];
    for (const text of samples) expect([text, parseText(text)]).toEqual([text, Number(text)]);
  });

  it("agrees with Number() on many random decimals", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let index = 0; index < 20_000; index++) {
      const digits = 1 + Math.floor(random() * 20);
      let text = "";
      for (let digit = 0; digit < digits; digit++) text += Math.floor(random() * 10);
      const point = Math.floor(random() * (digits + 1));
      text = `${random() < 0.3 ? "-" : ""}${text.slice(0, point)}.${text.slice(point)}`;
      if (random() < 0.2) text += `e${Math.floor(random() * 60) - 30}`;
      expect(parseText(text)).toBe(Number(text));
    }
  });

  it("returns NaN for anything that is not a finite decimal number", () => {
    for (const text of [
      "",
      " ",
      "-",
      "+",
      ".",
      "e5",
      "1e",
      "1e+",
      "abc",
      "1.2.3",
      "0x10",
      "NaN",
      "Infinity",
      "1,5",
      "1e999",
      "--1",
      "1 2",
    ]) {
      expect([text, parseText(text)]).toEqual([text, NaN]);
    }
  });

  it("gives the same values when numbers are parsed while scanning the rows", () => {
    const numbers = ["0.5", "-12", "1e-5", "12345678901234567", "0.30000000000000004", "-0.0625", "7."];
    const result = parseAll(`${numbers.map((_, index) => `c${index}`).join(",")}\n${numbers.join(",")}\n`);
    expect(result.rows[0]!.numbers).toEqual(numbers.map(Number));
    expect(Object.is(parseAll("a\n-0\n").rows[0]!.numbers[0], -0)).toBe(true);
  });
});
