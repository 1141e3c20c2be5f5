import Link from "next/link";
import type { DatasetDto } from "@/lib/datasets/schemas";
import { datasetPath } from "@/components/paths";
import { Badge } from "@/components/ui/badge";
import { formatBytes, formatNumber } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";

export function DatasetTable({ datasets }: { datasets: DatasetDto[] }) {
  return (
    <Table aria-label="Datasets">
      <THead>
        <tr>
          <Th>Name</Th>
          <Th>Format</Th>
          <Th className="text-right">Rows</Th>
          <Th className="text-right">Columns</Th>
          <Th>Label column</Th>
          <Th className="hidden text-right sm:table-cell">Size</Th>
          <Th className="hidden md:table-cell">Uploaded</Th>
        </tr>
      </THead>
      <TBody>
        {datasets.map((dataset) => (
          <Tr key={dataset.id} data-testid="dataset-row" data-name={dataset.name} data-rows={dataset.rowCount}>
            <Td className="font-medium break-all">
              <Link href={datasetPath(dataset.modelName, dataset.id)} className="text-blue-700 hover:underline">
                {dataset.name}
              </Link>
            </Td>
            <Td>
              <Badge tone="muted">{dataset.format === "JSONL" ? "JSON Lines" : "CSV"}</Badge>
            </Td>
            <Td className="text-right text-zinc-700 tabular-nums">{formatNumber(dataset.rowCount)}</Td>
            <Td className="text-right text-zinc-700 tabular-nums">{formatNumber(dataset.columns.length)}</Td>
            <Td className="font-mono text-xs break-all text-zinc-800">
              {dataset.labelColumn ?? <span className="font-sans text-zinc-400">none</span>}
            </Td>
            <Td className="hidden text-right whitespace-nowrap text-zinc-700 tabular-nums sm:table-cell">
              {formatBytes(dataset.sizeBytes)}
            </Td>
            <Td className="hidden whitespace-nowrap text-zinc-600 md:table-cell">
              <RelativeTime iso={dataset.createdAt} />
              <div className="text-xs text-zinc-500">by {dataset.createdBy}</div>
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
