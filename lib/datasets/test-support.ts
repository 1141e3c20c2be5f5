import type { TableParser, TableRow, TableSink } from "./table";

/** Test helpers shared by the parser tests: run a parser over text cut into chunks, keep what it saw. */

export interface ParsedRow {
  line: number;
  endOffset: number;
  text: string[];
  numbers: number[];
  missing: boolean[];
}

export class RecordingSink implements TableSink {
  names: string[] | null = null;
  rows: ParsedRow[] = [];

  columns(names: string[]): void {
    this.names = names;
  }

  row(row: TableRow): void {
    const cells = Array.from({ length: row.size }, (_, index) => index);
    this.rows.push({
      line: row.line,
      endOffset: row.endOffset,
      text: cells.map((index) => row.text(index)),
      numbers: cells.map((index) => row.number(index)),
      missing: cells.map((index) => row.isMissing(index)),
    });
  }
}

/** Feeds `bytes` to the parser `chunkSize` bytes at a time, then ends it. */
export function feed(parser: TableParser, bytes: Uint8Array, chunkSize = bytes.length): void {
  for (let offset = 0; offset < bytes.length; offset += Math.max(1, chunkSize)) {
    parser.push(bytes.subarray(offset, offset + Math.max(1, chunkSize)));
  }
  parser.end();
}

/** Chunk sizes that put a boundary at every position of a short input, plus a few larger ones. */
export const CHUNK_SIZES = [1, 2, 3, 5, 7, 64, 1 << 20];
