import { describe, expect, it } from "vitest";
import { formatHint } from "./formats";
import { DatasetProfiler, detectLabelColumn, type ProfilerOptions } from "./profile";

function profile(text: string | Buffer, options: ProfilerOptions = {}, chunkSize = 3) {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  const profiler = new DatasetProfiler(options);
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    profiler.write(bytes.subarray(offset, offset + chunkSize));
  return profiler.end();
}

describe("DatasetProfiler", () => {
  it("records each column's kind, range and missing values, the row count and a preview", () => {
    const result = profile('id,x,y,note\n007,1.5,-2,hello\n008,,3,\n009,-0.5,1e2,"a,b"\n');
    expect(result.format).toBe("CSV");
    expect(result.rowCount).toBe(3);
    expect(result.columns).toEqual([
      { name: "id", kind: "number", min: 7, max: 9, missing: 0 },
      { name: "x", kind: "number", min: -0.5, max: 1.5, missing: 1 },
      { name: "y", kind: "number", min: -2, max: 100, missing: 0 },
      { name: "note", kind: "string", missing: 1 },
    ]);
    expect(result.labelColumn).toBe("y");
    expect(result.preview).toEqual([
      [7, 1.5, -2, "hello"],
      [8, null, 3, null],
      [9, -0.5, 100, "a,b"],
    ]);
  });

  it("keeps text as written in a column that turns out not to be numeric", () => {
    const result = profile("id,label\n007,1\nA12,0\n");
    expect(result.columns[0]).toEqual({ name: "id", kind: "string", missing: 0 });
    expect(result.preview).toEqual([
      ["007", 1],
      ["A12", 0],
    ]);
  });

  it("profiles JSON Lines like the same table in CSV", () => {
    const csv = profile("a,b[0],b[1],label\n1,2,3,x\n4,,6,y\n");
    const jsonl = profile('{"a": 1, "b": [2, 3], "label": "x"}\n{"a": 4, "b": [null, 6], "label": "y"}\n');
    expect(jsonl.format).toBe("JSONL");
    expect({ ...jsonl, format: "CSV" }).toEqual(csv);
  });

  it("an all-missing column is a number column without a range", () => {
    expect(profile("a,b\n1,\n2,\n").columns[1]).toEqual({ name: "b", kind: "number", missing: 2 });
  });

  it("detects the label column by name, first in file order, in any case", () => {
    expect(detectLabelColumn(["x", "Target", "label"])).toBe("Target");
    expect(detectLabelColumn(["x", "CLASS"])).toBe("CLASS");
    expect(detectLabelColumn(["x", "labels", "ylabel"])).toBeNull();
    expect(profile("a,label\n1,2\n", { labelColumn: "a" }).labelColumn).toBe("a");
  });

  it("decides the format by content, using the name only as a hint", () => {
    expect(profile('{"a": 1}\n', { formatHint: "CSV" }).format).toBe("JSONL");
    expect(profile('\n\n  \n{"a": 1}\n', {}, 1).format).toBe("JSONL");
    expect(profile("a\n1\n", { formatHint: "CSV" }).format).toBe("CSV");
    expect(() => profile("a,b\n1,2\n", { formatHint: "JSONL" })).toThrow(/^line 1 is not valid JSON$/);
    expect(formatHint("digits.CSV", "application/octet-stream")).toBe("CSV");
    expect(formatHint("upload", "application/x-ndjson; charset=utf-8")).toBe("JSONL");
    expect(formatHint("data.ndjson", "text/csv")).toBe("JSONL");
    expect(formatHint("upload.bin", "application/octet-stream")).toBeUndefined();
  });

  it("refuses bad files with a message that says what and where", () => {
    const cases: [string | Buffer, RegExp, ProfilerOptions?][] = [
      ["", /^the file is empty$/],
      ["\n\r\n  \n", /^the file is empty$/],
      ["a,b,label\n", /^the file has a header \(3 columns\) but no data rows$/],
      ["a,b\n1,2\n3,4\n5\n", /^line 4 has 1 field, but the header has 2$/],
      ["a,b\n1,2\n3,4,5\n", /^line 3 has 3 fields, but the header has 2$/],
      ["a,b,a\n1,2,3\n", /^the column name 'a' appears twice \(columns 1 and 3\)$/],
      ['{"a": [1], "a[0]": 2}\n', /^the column name 'a\[0\]' appears twice \(columns 1 and 2\)$/],
      [
        "a,b\n1,2\n",
        /^there is no column named 'label' to be the label; the columns are a, b$/,
        { labelColumn: "label" },
      ],
      ["[1, 2]\n", /^the file is a JSON array; upload JSON Lines instead/],
      [
        Buffer.from([0x61, 0x0a, 0x31, 0x00, 0x0a]),
        /^the file is not CSV or JSON Lines: it holds binary data \(a zero byte at offset 3\)$/,
      ],
      [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), /^the file is a ZIP archive/],
      [Buffer.from([0x1f, 0x8b, 0x08, 0x00]), /^the file is gzip-compressed/],
    ];
    for (const [input, message, options] of cases) expect(() => profile(input, options)).toThrow(message);
  });

  it("fails as soon as a problem is seen, before the rest of the file arrives", () => {
    const profiler = new DatasetProfiler({ labelColumn: "nope" });
    expect(() => profiler.write(Buffer.from("a,b\n1,2\n"))).toThrow(/no column named 'nope'/);
    const ragged = new DatasetProfiler();
    expect(() => ragged.write(Buffer.from("a,b\n1\n"))).toThrow(/^line 2 has 1 field,/);
  });

  it("keeps fewer preview rows for very wide tables", () => {
    const width = 5000;
    const row = Array.from({ length: width }, (_, index) => index).join(",");
    const text = `${row}\n${`${row}\n`.repeat(5)}`;
    const result = profile(text, {}, 64 * 1024);
    expect(result.rowCount).toBe(5);
    expect(result.preview).toHaveLength(2);
    expect(result.preview[0]).toHaveLength(width);
  });
});
