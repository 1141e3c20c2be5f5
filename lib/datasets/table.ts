import { AppError } from "@/lib/errors";

/**
 * What the CSV and JSON Lines parsers have in common: they turn a stream of byte chunks into rows
 * handed to a `TableSink` one at a time, never holding more than the current chunk and one
 * unfinished row in memory. The profiler (on upload) and `readDatasetRows` (in jobs) are sinks,
 * so both formats share one profile and one reader.
 */

/** A cell as the file has it: text for CSV, the JSON value for JSON Lines; null when missing. */
export type CellValue = number | string | boolean | null;

/** One row, valid only during the `TableSink.row` call (parsers reuse it). */
export interface TableRow {
  readonly size: number;
  /** 1-based line the row starts on (0 when reading from the middle of a file). */
  readonly line: number;
  /** File offset just past the row, where the next row starts. */
  readonly endOffset: number;
  /** The cell as a finite number; NaN when it is missing or not a number. */
  number(index: number): number;
  /** Empty or blank CSV field, JSON null. */
  isMissing(index: number): boolean;
  /** The cell as text ("" when missing). */
  text(index: number): string;
  value(index: number): CellValue;
}

export interface TableSink {
  /** Called once, before the first row. */
  columns(names: string[]): void;
  row(row: TableRow): void;
}

export interface TableParser {
  push(chunk: Uint8Array): void;
  /** The input is complete: parses the last row and checks nothing was left unfinished. */
  end(): void;
}

export const invalidDataset = (message: string) => new AppError("bad_request", message);

/**
 * Columns a file may have unless the upload sets its own limit (MAX_DATASET_COLUMNS). Storing the
 * profile costs about 0.15 ms per column, so this keeps the insert far inside its transaction.
 */
export const DEFAULT_MAX_COLUMNS = 10_000;

/** A row longer than this is refused; it also stops a file without line breaks from filling memory. */
export const MAX_ROW_BYTES = 64 * 1024 ** 2;

const BOM = [0xef, 0xbb, 0xbf];

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Buffers chunks and hands the subclass contiguous bytes to scan for complete rows; the unfinished
 * tail waits for the next chunk. When no row completes, it waits for twice as many bytes before
 * scanning again, so a very long row costs linear rather than quadratic time.
 */
export abstract class ChunkedTextParser implements TableParser {
  /** Line of the next row (1-based); 0 = unknown, when starting mid-file. */
  protected line: number;
  /** File offset of the first byte of the buffer being scanned. */
  protected base: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waitFor = 0;
  private atFileStart: boolean;

  constructor(offset = 0) {
    this.base = offset;
    this.atFileStart = offset === 0;
    this.line = offset === 0 ? 1 : 0;
  }

  /**
   * Calls the sink for every complete row in `buf[from..]` and returns the index after the last
   * one. With `final`, the end of `buf` ends the last row, and everything must be consumed.
   */
  protected abstract scan(buf: Buffer, from: number, final: boolean): number;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.pending.push(asBuffer(chunk));
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.waitFor) this.run(false);
  }

  end(): void {
    this.run(true);
  }

  private run(final: boolean): void {
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let from = 0;
    if (this.atFileStart) {
      if (buf.length < BOM.length && !final && BOM.slice(0, buf.length).every((byte, index) => buf[index] === byte)) {
        this.pending = [buf];
        return;
      }
      this.atFileStart = false;
      if (BOM.every((byte, index) => buf[index] === byte)) from = BOM.length;
    }
    const consumed = this.scan(buf, from, final);
    this.base += consumed;
    const rest = buf.subarray(consumed);
    if (final && rest.length > 0) throw new Error(`the parser left ${rest.length} bytes at the end unread`);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.waitFor = consumed === from ? Math.min(rest.length * 2, MAX_ROW_BYTES + 1) : 0;
    if (rest.length > MAX_ROW_BYTES) {
      throw invalidDataset(
        `line ${this.line} is longer than ${MAX_ROW_BYTES / 1024 ** 2} MiB; is the file really CSV or JSON Lines?`,
      );
    }
  }
}
