import { formatNumber } from "@/components/ui/format";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { METRICS, formatScore, type EvaluationReport } from "./report";

export interface ReportColumn {
  /** Column header, e.g. "Value" or "v3". */
  label: string;
  report: EvaluationReport | null;
}

/**
 * Headline metrics with one column per report (one on a version page, one per version when
 * comparing). Only metrics some column has are listed; a column without one shows a dash.
 */
export function ReportMetricsTable({
  columns,
  testId,
  caption,
}: {
  columns: ReportColumn[];
  testId?: string;
  caption: string;
}) {
  const tasks = new Set(columns.flatMap((column) => (column.report ? [column.report.task] : [])));
  const metrics = METRICS.filter((metric) => tasks.has(metric.task));
  const rowsCounted = (report: EvaluationReport) =>
    report.invalidRows > 0
      ? `${formatNumber(report.rows)} (${formatNumber(report.invalidRows)} invalid)`
      : formatNumber(report.rows);

  return (
    <Table aria-label={caption} data-testid={testId}>
      <THead>
        <tr>
          <Th>Metric</Th>
          {columns.map((column) => (
            <Th key={column.label} className="text-right">
              {column.label}
            </Th>
          ))}
        </tr>
      </THead>
      <TBody>
        {metrics.map((metric) => (
          <Tr key={metric.key} data-metric={metric.key}>
            <Th scope="row" className="font-normal text-zinc-900">
              {metric.label}
              {metric.lowerIsBetter && <span className="ml-1 text-xs text-zinc-500">(lower is better)</span>}
            </Th>
            {columns.map((column) => {
              const value = column.report ? metric.value(column.report) : null;
              return (
                <Td
                  key={column.label}
                  className="text-right font-mono text-xs tabular-nums"
                  title={value === null ? undefined : String(value)}
                >
                  {formatScore(value)}
                </Td>
              );
            })}
          </Tr>
        ))}
        <Tr>
          <Th scope="row" className="font-normal text-zinc-900">
            Rows evaluated
          </Th>
          {columns.map((column) => (
            <Td key={column.label} className="text-right font-mono text-xs tabular-nums">
              {column.report ? rowsCounted(column.report) : "—"}
            </Td>
          ))}
        </Tr>
      </TBody>
    </Table>
  );
}
