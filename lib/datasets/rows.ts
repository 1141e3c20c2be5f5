import { artifactStore, type ArtifactStore } from "@/lib/artifacts";
import { createParser } from "./formats";
import type { DatasetDto } from "./schemas";
import { invalidDataset, type TableRow, type TableSink } from "./table";

/**
 * Reads a stored dataset back in chunks of rows, for batch inference: the feature columns as one
 * row-major typed array (what an onnxruntime `[rows, features]` tensor wants) and the labels. A
 * chunk's `next` cursor lets a job resume after its last finished chunk without re-reading the
 * rows before it.
 */

export type FeatureDtype = "float32" | "float64";
type FeatureArray<D extends FeatureDtype> = D extends "float32" ? Float32Array : Float64Array;

/** A row index and the file offset where that row starts. */
export interface DatasetCursor {
  row: number;
  byte: number;
}

export interface DatasetChunk<D extends FeatureDtype = "float64"> {
  /** Index of the chunk's first row (0-based, header excluded). */
  rowOffset: number;
  rows: number;
  /** The feature columns, in the order of `features`' values within a row. */
  columns: readonly string[];
  /** rows × columns.length values, row-major; missing values are NaN. */
  features: FeatureArray<D>;
  /**
   * The label column's values: numbers from a number column (NaN when missing), else text ("" when
   * missing); empty without a label column.
   */
  labels: (number | string)[];
  /** Where the rows after this chunk start; pass it as `start` to resume there. */
  next: DatasetCursor;
}

/** What the reader needs to know about a dataset (a `DatasetDto` has it all). */
export type StoredDataset = Pick<DatasetDto, "name" | "format" | "sha256" | "rowCount" | "columns" | "labelColumn">;

export interface ReadRowsOptions<D extends FeatureDtype = "float64"> {
  /** Number columns to read, in the order each row's values should have. */
  columns: readonly string[];
  /** The column whose values become `labels`; default the dataset's label column; null for none. */
  labelColumn?: string | null;
  /** Rows per chunk; the last chunk may have fewer. */
  chunkRows: number;
  /** The first row to read: an index (the rows before it are scanned past), or a chunk's `next`. */
  start?: number | DatasetCursor;
  /** float64 (default) keeps every value exact; float32 is ready for a float32 tensor. */
  dtype?: D;
}

/**
 * Throws a `bad_request` AppError unless every name is a column of the dataset holding numbers, so
 * a job (or the request that creates it) can refuse a mapping with a message before reading.
 */
export function checkFeatureColumns(dataset: Pick<StoredDataset, "name" | "columns">, names: readonly string[]): void {
  const kinds = new Map(dataset.columns.map((column) => [column.name, column.kind]));
  for (const name of names) {
    const kind = kinds.get(name);
    if (kind === undefined) throw invalidDataset(`dataset '${dataset.name}' has no column named '${name}'`);
    if (kind !== "number") {
      throw invalidDataset(
        `column '${name}' of dataset '${dataset.name}' holds text, so it cannot feed a numeric model input`,
      );
    }
  }
}

interface ReadPlan<D extends FeatureDtype> {
  dataset: StoredDataset;
  columns: readonly string[];
  labelColumn: string | null;
  labelIsNumber: boolean;
  chunkRows: number;
  dtype: D;
  /** Rows before this index are parsed past, not returned. */
  skipTo: number;
  start: DatasetCursor;
}

/** Fills chunks from parsed rows and queues each full one. */
class ChunkBuilder<D extends FeatureDtype> implements TableSink {
  private featureIndex = new Int32Array(0);
  private labelIndex = -1;
  private features: FeatureArray<D>;
  private labels: (number | string)[] = [];
  private filled = 0;
  /** Index of the next row the parser delivers. */
  private nextRow: number;
  private chunkStart: number;
  private lastEnd: number;
  readonly ready: DatasetChunk<D>[] = [];

  constructor(private readonly plan: ReadPlan<D>) {
    this.features = this.allocate();
    this.nextRow = plan.start.row;
    this.chunkStart = plan.skipTo;
    this.lastEnd = plan.start.byte;
  }

  get rowsRead(): number {
    return this.nextRow;
  }

  private allocate(): FeatureArray<D> {
    const size = this.plan.chunkRows * this.plan.columns.length;
    return (this.plan.dtype === "float32" ? new Float32Array(size) : new Float64Array(size)) as FeatureArray<D>;
  }

  columns(names: string[]): void {
    // The stored file is the one that was profiled; a mismatch means the cursor was not a row start.
    const { dataset, columns, labelColumn } = this.plan;
    const expected = dataset.columns.map((column) => column.name);
    if (names.length !== expected.length || new Set([...names, ...expected]).size !== expected.length) {
      throw new Error(`the file of dataset '${dataset.name}' does not have the columns it was profiled with`);
    }
    const indexOf = new Map(names.map((name, index) => [name, index]));
    this.featureIndex = Int32Array.from(columns, (name) => indexOf.get(name)!);
    this.labelIndex = labelColumn === null ? -1 : indexOf.get(labelColumn)!;
  }

  row(row: TableRow): void {
    const rowIndex = this.nextRow++;
    if (rowIndex < this.plan.skipTo) return;
    const { featureIndex, features } = this;
    const width = featureIndex.length;
    const base = this.filled * width;
    for (let column = 0; column < width; column++) features[base + column] = row.number(featureIndex[column]!);
    if (this.labelIndex >= 0) {
      this.labels.push(this.plan.labelIsNumber ? row.number(this.labelIndex) : row.text(this.labelIndex));
    }
    this.lastEnd = row.endOffset;
    if (++this.filled === this.plan.chunkRows) this.flush();
  }

  flush(): void {
    if (this.filled === 0) return;
    const rows = this.filled;
    const { chunkRows, columns } = this.plan;
    const features = rows === chunkRows ? this.features : this.features.subarray(0, rows * columns.length);
    this.ready.push({
      rowOffset: this.chunkStart,
      rows,
      columns,
      features: features as FeatureArray<D>,
      labels: this.labels,
      next: { row: this.chunkStart + rows, byte: this.lastEnd },
    });
    this.chunkStart += rows;
    this.filled = 0;
    this.labels = [];
    this.features = this.allocate();
  }
}

/**
 * Yields the rows of a stored dataset from `start` on, `chunkRows` at a time. The file streams
 * from the artifact store; only one chunk of rows is held at a time.
 */
export async function* readDatasetRows<D extends FeatureDtype = "float64">(
  dataset: StoredDataset,
  options: ReadRowsOptions<D>,
  store: ArtifactStore = artifactStore(),
): AsyncGenerator<DatasetChunk<D>, void, undefined> {
  const { chunkRows } = options;
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new RangeError("chunkRows must be a positive whole number");
  const start: DatasetCursor = typeof options.start === "object" ? options.start : { row: 0, byte: 0 };
  const skipTo = typeof options.start === "number" ? options.start : start.row;
  if (!Number.isInteger(skipTo) || skipTo < 0 || skipTo > dataset.rowCount) {
    throw new RangeError(`cannot start at row ${skipTo} of a dataset with ${dataset.rowCount} rows`);
  }
  // Only the start of the file is row 0's start (a header or a BOM may come first).
  if (!Number.isInteger(start.byte) || start.byte < 0 || (start.byte === 0) !== (start.row === 0)) {
    throw new RangeError(`{ row: ${start.row}, byte: ${start.byte} } is not a cursor from an earlier chunk`);
  }
  checkFeatureColumns(dataset, options.columns);
  const labelColumn = options.labelColumn === undefined ? dataset.labelColumn : options.labelColumn;
  const label = labelColumn === null ? undefined : dataset.columns.find((column) => column.name === labelColumn);
  if (labelColumn !== null && label === undefined) {
    throw invalidDataset(`dataset '${dataset.name}' has no column named '${labelColumn}'`);
  }
  if (skipTo === dataset.rowCount) return;

  const builder = new ChunkBuilder({
    dataset,
    columns: [...options.columns],
    labelColumn,
    labelIsNumber: label?.kind === "number",
    chunkRows,
    dtype: (options.dtype ?? "float64") as D,
    skipTo,
    start,
  });
  const midFile = start.byte > 0;
  const parser = createParser(dataset.format, builder, {
    offset: start.byte,
    // The profile already bounded the columns when the file was uploaded.
    maxColumns: dataset.columns.length,
    columns: midFile && dataset.format === "CSV" ? dataset.columns.map((column) => column.name) : undefined,
  });
  const stream = store.openRead(dataset.sha256, midFile ? { start: start.byte } : undefined);
  for await (const bytes of stream as AsyncIterable<Buffer>) {
    parser.push(bytes);
    while (builder.ready.length > 0) yield builder.ready.shift()!;
  }
  parser.end();
  builder.flush();
  while (builder.ready.length > 0) yield builder.ready.shift()!;
  if (builder.rowsRead !== dataset.rowCount) {
    throw new Error(
      `dataset '${dataset.name}' should have ${dataset.rowCount} rows but its file has ${builder.rowsRead}`,
    );
  }
}
