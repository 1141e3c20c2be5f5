import {
  ChunkedTextParser,
  DEFAULT_MAX_COLUMNS,
  invalidDataset,
  type CellValue,
  type TableRow,
  type TableSink,
} from "./table";

/**
 * JSON Lines: one JSON object per line, with scalar values (number, string, boolean, null) or
 * arrays of them, which are flattened into columns `name[0]`, `name[1]`, ... (nested arrays into
 * `name[0][1]`), so an image can be given as an array of pixels. The first line fixes the columns;
 * every other line must have the same keys (in any order) and the same array lengths. Blank lines
 * are skipped. Booleans count as the numbers 1 and 0.
 */

const LF = 0x0a;

/** Arrays nested deeper than this are not a table's cells (an image with channels is 3 deep). */
export const MAX_ARRAY_DEPTH = 16;

/** null: a scalar; an array: one shape per element. */
type Shape = null | Shape[];

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function quoteList(names: string[]): string {
  const shown = names.slice(0, 3).map((name) => `'${name}'`);
  return names.length > 3 ? `${shown.join(", ")} and ${names.length - 3} more` : shown.join(", ");
}

/** The keys of the first line and how each flattens. */
class Layout {
  readonly keys: string[];
  readonly shapes: Shape[];
  /** Index in `values` of each key's first column. */
  readonly offsets: number[] = [];
  readonly names: string[] = [];
  private readonly slotByKey: Map<string, number>;
  /** Scalars seen while working out the shapes, so a huge line stops before its names are built. */
  private leaves = 0;

  constructor(
    object: Record<string, unknown>,
    readonly line: number,
    private readonly maxColumns: number,
  ) {
    this.keys = Object.keys(object);
    this.slotByKey = new Map(this.keys.map((key, slot) => [key, slot]));
    this.shapes = this.keys.map((key) => this.shapeOf(object[key], key, 0));
    this.keys.forEach((key, slot) => {
      this.offsets.push(this.names.length);
      this.addNames(key, this.shapes[slot]!);
    });
  }

  private shapeOf(value: unknown, key: string, depth: number): Shape {
    if (Array.isArray(value)) {
      if (depth === MAX_ARRAY_DEPTH) {
        throw invalidDataset(`line ${this.line}: '${key}' holds arrays nested more than ${MAX_ARRAY_DEPTH} deep`);
      }
      return value.map((element) => this.shapeOf(element, key, depth + 1));
    }
    if (value !== null && typeof value === "object") {
      throw invalidDataset(
        `line ${this.line}: '${key}' holds an object; values must be numbers, strings, booleans, null or arrays of them`,
      );
    }
    if (++this.leaves > this.maxColumns) {
      throw invalidDataset(
        `line ${this.line} has more than ${this.maxColumns} values (arrays count one column per element); ` +
          `at most ${this.maxColumns} columns are supported`,
      );
    }
    return null;
  }

  private addNames(name: string, shape: Shape): void {
    if (shape === null) this.names.push(name);
    else shape.forEach((element, index) => this.addNames(`${name}[${index}]`, element));
  }

  /** Writes the object's values into `values` in column order. */
  fill(object: Record<string, unknown>, values: CellValue[], line: number): void {
    const keys = Object.keys(object);
    if (keys.length !== this.keys.length) this.keysDiffer(keys, line);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      // Usually the keys come in the same order as on the first line.
      const slot = key === this.keys[index] ? index : this.slotByKey.get(key);
      if (slot === undefined) this.keysDiffer(keys, line);
      this.write(object[key], this.shapes[slot]!, values, this.offsets[slot]!, key, line);
    }
  }

  private write(value: unknown, shape: Shape, values: CellValue[], offset: number, key: string, line: number): number {
    if (shape === null) {
      if (value !== null && typeof value === "object") {
        throw invalidDataset(
          `line ${line}: '${key}' is ${describe(value)}, but on line ${this.line} it is a single value`,
        );
      }
      values[offset] = value as CellValue;
      return offset + 1;
    }
    if (!Array.isArray(value) || value.length !== shape.length) {
      const found = Array.isArray(value) ? `an array of ${value.length}` : describe(value);
      throw invalidDataset(
        `line ${line}: '${key}' is ${found}, but on line ${this.line} it is an array of ${shape.length}`,
      );
    }
    for (let index = 0; index < shape.length; index++) {
      offset = this.write(value[index], shape[index]!, values, offset, key, line);
    }
    return offset;
  }

  private keysDiffer(keys: string[], line: number): never {
    const seen = new Set(keys);
    const missing = this.keys.filter((key) => !seen.has(key));
    const extra = keys.filter((key) => !this.slotByKey.has(key));
    const problems = [
      missing.length > 0 ? `missing ${quoteList(missing)}` : "",
      extra.length > 0 ? `unexpected ${quoteList(extra)}` : "",
    ].filter(Boolean);
    throw invalidDataset(`line ${line} has different keys from line ${this.line}: ${problems.join("; ")}`);
  }
}

class JsonRow implements TableRow {
  values: CellValue[] = [];
  size = 0;
  line = 0;
  endOffset = 0;

  number(index: number): number {
    const value = this.values[index];
    if (typeof value === "number") return Number.isFinite(value) ? value : NaN;
    if (typeof value === "boolean") return value ? 1 : 0;
    return NaN;
  }

  isMissing(index: number): boolean {
    return this.values[index] === null;
  }

  text(index: number): string {
    const value = this.values[index];
    return value === null || value === undefined ? "" : String(value);
  }

  value(index: number): CellValue {
    return this.values[index] ?? null;
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let p = start; p < end; p++) {
    const c = buf[p];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export class JsonLinesParser extends ChunkedTextParser {
  private layout: Layout | null = null;
  private readonly row = new JsonRow();

  private readonly maxColumns: number;

  /**
   * `offset`: the file offset to start at, which must be a line start (from an earlier row's
   * `endOffset`). `maxColumns`: the first line may flatten to at most this many columns.
   */
  constructor(
    private readonly sink: TableSink,
    options: { offset?: number; maxColumns?: number } = {},
  ) {
    super(options.offset ?? 0);
    this.maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  }

  protected scan(buf: Buffer, from: number, final: boolean): number {
    const length = buf.length;
    let p = from;
    while (p < length) {
      let lineEnd = buf.indexOf(LF, p);
      if (lineEnd === -1) {
        if (!final) break;
        lineEnd = length;
      }
      const next = Math.min(lineEnd + 1, length);
      if (!isBlank(buf, p, lineEnd)) this.parseLine(buf.toString("utf8", p, lineEnd), this.base + next);
      if (this.line > 0) this.line++;
      p = next;
    }
    return p;
  }

  private parseLine(text: string, endOffset: number): void {
    const line = this.line;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidDataset(`line ${line} is not valid JSON`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw invalidDataset(`line ${line} is not a JSON object (it is ${describe(value)})`);
    }
    const object = value as Record<string, unknown>;
    if (this.layout === null) {
      this.layout = new Layout(object, line, this.maxColumns);
      this.row.values = new Array<CellValue>(this.layout.names.length).fill(null);
      this.row.size = this.layout.names.length;
      this.sink.columns(this.layout.names);
    }
    this.layout.fill(object, this.row.values, line);
    this.row.line = line;
    this.row.endOffset = endOffset;
    this.sink.row(this.row);
  }
}
