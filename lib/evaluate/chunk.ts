/**
 * How many rows a chunk holds. Without an explicit count the buffers must agree exactly, which
 * catches shape mistakes; with one, only the first `rows` rows of longer (reused) buffers are read.
 */
export function chunkRowCount(
  rows: number | undefined,
  targetLength: number,
  valueLength: number,
  valuesPerRow: number,
): number {
  if (rows === undefined) {
    if (valueLength !== targetLength * valuesPerRow) {
      throw new RangeError(
        `expected ${targetLength} rows × ${valuesPerRow} values = ${targetLength * valuesPerRow} values, got ${valueLength}`,
      );
    }
    return targetLength;
  }
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`the row count must be a whole number, got ${rows}`);
  if (targetLength < rows) throw new RangeError(`expected at least ${rows} targets, got ${targetLength}`);
  if (valueLength < rows * valuesPerRow) {
    throw new RangeError(`expected at least ${rows} rows × ${valuesPerRow} values, got ${valueLength}`);
  }
  return rows;
}
