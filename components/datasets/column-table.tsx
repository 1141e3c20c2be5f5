import type { DatasetColumn } from "@/lib/datasets/schemas";
import { Badge } from "@/components/ui/badge";
import { formatNumber } from "@/components/ui/format";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { CellText } from "./cell";

/** Beyond this many (images given as arrays), the rest are summarised in a line. */
export const MAX_SHOWN_COLUMNS = 200;

export function ShownColumnsNote({ total }: { total: number }) {
  if (total <= MAX_SHOWN_COLUMNS) return null;
  return (
    <p className="text-xs text-zinc-500">
      Showing the first {formatNumber(MAX_SHOWN_COLUMNS)} of {formatNumber(total)} columns.
    </p>
  );
}

/** Each column's kind, range and missing values, in file order. */
export function ColumnTable({
  columns,
  labelColumn,
  rowCount,
}: {
  columns: DatasetColumn[];
  labelColumn: string | null;
  rowCount: number;
}) {
  return (
    <div className="space-y-2">
      {/* Tall for wide datasets: it scrolls within the card instead of stretching the page. */}
      <div className="max-h-[32rem] overflow-y-auto rounded-lg">
        <Table aria-label="Columns" data-testid="dataset-columns">
          <THead>
            <tr>
              <Th>Column</Th>
              <Th>Kind</Th>
              <Th className="text-right">Min</Th>
              <Th className="text-right">Max</Th>
              <Th className="text-right">Missing</Th>
            </tr>
          </THead>
          <TBody>
            {columns.slice(0, MAX_SHOWN_COLUMNS).map((column) => (
              <Tr key={column.name} data-testid="dataset-column" data-name={column.name} data-kind={column.kind}>
                <Td className="font-mono text-xs break-all text-zinc-900">
                  {column.name}{" "}
                  {column.name === labelColumn && (
                    <Badge tone="green" className="ml-1 font-sans">
                      label
                    </Badge>
                  )}
                </Td>
                <Td>
                  <Badge
                    tone={column.kind === "number" ? "blue" : "violet"}
                    title={column.kind === "string" ? "Holds text: it cannot feed a numeric model input" : undefined}
                  >
                    {column.kind}
                  </Badge>
                </Td>
                <Td className="text-right font-mono text-xs tabular-nums">
                  <CellText value={column.min} />
                </Td>
                <Td className="text-right font-mono text-xs tabular-nums">
                  <CellText value={column.max} />
                </Td>
                <Td className="text-right text-xs text-zinc-700 tabular-nums">
                  {column.missing === 0 ? (
                    <span className="text-zinc-400">0</span>
                  ) : (
                    `${formatNumber(column.missing)} of ${formatNumber(rowCount)}`
                  )}
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      </div>
      <ShownColumnsNote total={columns.length} />
    </div>
  );
}
