import { toStorableText, unstorableText } from "@/lib/api/fields";
import { binaryContent, createParser, SIGNATURE_BYTES, sniffFormat } from "./formats";
import { COLUMN_NAME_MAX, type DatasetColumn, type DatasetFormatName } from "./schemas";
import {
  DEFAULT_MAX_COLUMNS,
  invalidDataset,
  type CellValue,
  type TableParser,
  type TableRow,
  type TableSink,
} from "./table";

/**
 * Profiles a dataset while it streams past: format, columns with their kind and range, row count,
 * label column and the first rows. Any malformed input throws a `bad_request` AppError saying
 * where (which line), as early as it can be seen, so an upload can stop before it is stored.
 */

export interface DatasetProfile {
  format: DatasetFormatName;
  rowCount: number;
  columns: DatasetColumn[];
  labelColumn: string | null;
  preview: CellValue[][];
}

export const LABEL_NAMES = ["label", "target", "y", "class"];
export { DEFAULT_MAX_COLUMNS };
const PREVIEW_ROWS = 10;
/** Wide datasets (images as arrays) get fewer preview rows, so the row stays small. */
const PREVIEW_CELLS = 10_000;
/** Preview cells longer than this are cut: the preview shows the data, the file keeps all of it. */
export const PREVIEW_TEXT_MAX = 200;

/** A text cell as the preview keeps it: short, and storable (NUL and lone surrogates become U+FFFD). */
function previewText(text: string): string {
  const cut = text.length > PREVIEW_TEXT_MAX ? `${text.slice(0, PREVIEW_TEXT_MAX)}…` : text;
  return toStorableText(cut);
}

/** The first column named label, target, y or class (any case), or null. */
export function detectLabelColumn(names: readonly string[]): string | null {
  return names.find((name) => LABEL_NAMES.includes(name.toLowerCase())) ?? null;
}

function describeColumns(names: readonly string[]): string {
  const shown = names.slice(0, 8).join(", ");
  return names.length > 8 ? `${shown}, … (${names.length} in all)` : shown;
}

export function checkLabelColumn(names: readonly string[], label: string): void {
  if (!names.includes(label)) {
    throw invalidDataset(
      `there is no column named '${label}' to be the label; the columns are ${describeColumns(names)}`,
    );
  }
}

export interface ProfilerOptions {
  /** What the file name or Content-Type says; the content decides in the end. */
  formatHint?: DatasetFormatName;
  /** The label column the uploader named; it must exist. */
  labelColumn?: string;
  /** More columns than this are refused as soon as the header (or first JSON line) is read. */
  maxColumns?: number;
}

export class DatasetProfiler implements TableSink {
  private parser: TableParser | null = null;
  private format: DatasetFormatName | null = null;
  /** Bytes received before the first non-blank one, which decides the format. */
  private head: Buffer[] = [];
  /** The file's first bytes, to name a binary format when a zero byte turns up later. */
  private signature = Buffer.alloc(0);
  private bytes = 0;
  private names: string[] | null = null;
  private rowCount = 0;
  private previewRows = 0;
  private readonly preview: CellValue[][] = [];
  private min = new Float64Array(0);
  private max = new Float64Array(0);
  private missing = new Float64Array(0);
  /** 1 once a column has held a value that is not a number. */
  private text = new Uint8Array(0);

  private readonly maxColumns: number;

  constructor(private readonly options: ProfilerOptions = {}) {
    this.maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  }

  write(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const nul = buf.indexOf(0);
    if (this.signature.length < SIGNATURE_BYTES) {
      this.signature = Buffer.concat([this.signature, buf.subarray(0, SIGNATURE_BYTES - this.signature.length)]);
    }
    if (this.parser) {
      if (nul !== -1) throw binaryContent(this.signature, this.bytes + nul);
      this.bytes += buf.length;
      this.parser.push(buf);
      return;
    }
    this.head.push(buf);
    this.bytes += buf.length;
    const head = Buffer.concat(this.head);
    const format = sniffFormat(head, this.options.formatHint);
    if (format === undefined) return;
    this.format = format;
    this.head = [];
    this.parser = createParser(format, this, { maxColumns: this.maxColumns });
    this.parser.push(head);
  }

  end(): DatasetProfile {
    if (!this.parser || !this.format) throw invalidDataset("the file is empty");
    this.parser.end();
    const names = this.names;
    if (names === null) throw invalidDataset("the file is empty");
    if (this.rowCount === 0) {
      throw invalidDataset(`the file has a header (${names.length} columns) but no data rows`);
    }
    const columns = names.map((name, index): DatasetColumn => {
      const kind = this.text[index] ? "string" : "number";
      const column: DatasetColumn = { name, kind, missing: this.missing[index]! };
      if (kind === "number" && this.missing[index]! < this.rowCount) {
        column.min = this.min[index]!;
        column.max = this.max[index]!;
      }
      return column;
    });
    // CSV cells are text until the whole column is known to be numeric.
    const preview = this.preview.map((row) =>
      row.map((value, index) => {
        if (typeof value !== "string") return value;
        return columns[index]!.kind === "number" ? Number(value) : previewText(value);
      }),
    );
    return {
      format: this.format,
      rowCount: this.rowCount,
      columns,
      labelColumn: this.options.labelColumn ?? detectLabelColumn(names),
      preview,
    };
  }

  columns(names: string[]): void {
    if (names.length > this.maxColumns) {
      throw invalidDataset(
        `the file has ${names.length} columns; at most ${this.maxColumns} are supported (MAX_DATASET_COLUMNS)`,
      );
    }
    const firstIndex = new Map<string, number>();
    names.forEach((name, index) => {
      const problem = unstorableText(name);
      if (problem) throw invalidDataset(`the name of column ${index + 1} ${problem}`);
      if (name.length > COLUMN_NAME_MAX) {
        throw invalidDataset(
          `the name of column ${index + 1} is ${name.length} characters long; at most ${COLUMN_NAME_MAX} are supported`,
        );
      }
      const earlier = firstIndex.get(name);
      if (earlier !== undefined) {
        throw invalidDataset(`the column name '${name}' appears twice (columns ${earlier + 1} and ${index + 1})`);
      }
      firstIndex.set(name, index);
    });
    if (this.options.labelColumn !== undefined) checkLabelColumn(names, this.options.labelColumn);
    this.names = names;
    const count = names.length;
    this.min = new Float64Array(count).fill(Infinity);
    this.max = new Float64Array(count).fill(-Infinity);
    this.missing = new Float64Array(count);
    this.text = new Uint8Array(count);
    this.previewRows = Math.max(1, Math.min(PREVIEW_ROWS, Math.floor(PREVIEW_CELLS / Math.max(1, count))));
  }

  row(row: TableRow): void {
    const count = this.min.length;
    if (row.size !== count) {
      const fields = row.size === 1 ? "1 field" : `${row.size} fields`;
      throw invalidDataset(`line ${row.line} has ${fields}, but the header has ${count}`);
    }
    const { min, max, missing, text } = this;
    for (let index = 0; index < count; index++) {
      if (text[index]) {
        if (row.isMissing(index)) missing[index]! += 1;
        continue;
      }
      const value = row.number(index);
      if (value === value) {
        if (value < min[index]!) min[index] = value;
        if (value > max[index]!) max[index] = value;
      } else if (row.isMissing(index)) missing[index]! += 1;
      else text[index] = 1;
    }
    this.rowCount++;
    if (this.preview.length < this.previewRows) {
      this.preview.push(Array.from({ length: count }, (_, index) => row.value(index)));
    }
  }
}

/** Profiles a whole stream (for tests and tools; uploads feed `DatasetProfiler` as they store). */
export async function profileDataset(
  source: AsyncIterable<Uint8Array>,
  options: ProfilerOptions = {},
): Promise<DatasetProfile> {
  const profiler = new DatasetProfiler(options);
  for await (const chunk of source) profiler.write(chunk);
  return profiler.end();
}
