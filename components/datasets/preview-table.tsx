import type { DatasetDto } from "@/lib/datasets/schemas";
import { cn } from "@/components/ui/cn";
import { formatNumber } from "@/components/ui/format";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { CellText } from "./cell";
import { MAX_SHOWN_COLUMNS, ShownColumnsNote } from "./column-table";

/** The first rows as stored on upload, the label column highlighted. */
export function PreviewTable({ dataset }: { dataset: DatasetDto }) {
  const columns = dataset.columns.slice(0, MAX_SHOWN_COLUMNS);
  const isLabel = (name: string) => name === dataset.labelColumn;
  return (
    <div className="space-y-2">
      <Table aria-label="Preview of the first rows" data-testid="dataset-preview">
        <THead>
          <tr>
            <Th className="text-right text-zinc-400">#</Th>
            {columns.map((column) => (
              <Th
                key={column.name}
                // Column names are shown as written (the header row is otherwise upper case).
                className={cn(
                  "font-mono normal-case",
                  column.kind === "number" && "text-right",
                  isLabel(column.name) && "bg-emerald-50 text-emerald-800",
                )}
              >
                {column.name}
              </Th>
            ))}
          </tr>
        </THead>
        <TBody>
          {dataset.preview.map((row, rowIndex) => (
            <Tr key={rowIndex}>
              <Td className="text-right text-xs text-zinc-400 tabular-nums">{rowIndex + 1}</Td>
              {columns.map((column, index) => (
                <Td
                  key={column.name}
                  className={cn(
                    "font-mono text-xs whitespace-nowrap",
                    column.kind === "number" && "text-right tabular-nums",
                    isLabel(column.name) && "bg-emerald-50/60",
                  )}
                >
                  <CellText value={row[index]} />
                </Td>
              ))}
            </Tr>
          ))}
        </TBody>
      </Table>
      <p className="text-xs text-zinc-500">
        The first {formatNumber(dataset.preview.length)} of {formatNumber(dataset.rowCount)} rows.
      </p>
      <ShownColumnsNote total={dataset.columns.length} />
    </div>
  );
}
