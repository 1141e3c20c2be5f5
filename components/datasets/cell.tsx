import type { z } from "zod";
import type { cellValueSchema } from "@/lib/datasets/schemas";
import { formatMetricValue } from "@/components/ui/format";

type Cell = z.infer<typeof cellValueSchema>;

/** A table cell value: numbers compact (exact value in the tooltip), missing values as a dash. */
export function CellText({ value }: { value: Cell | undefined }) {
  if (value === null || value === undefined) return <span className="text-zinc-400">—</span>;
  if (typeof value === "number") return <span title={String(value)}>{formatMetricValue(value)}</span>;
  return <>{String(value)}</>;
}
