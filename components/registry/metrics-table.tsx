import type { MetricDto } from "@/lib/registry/schemas";
import { formatMetricValue, formatNumber } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";

/** Latest value per metric key, then the full history (newest first) behind a disclosure. */
export function MetricsTable({ latest, history }: { latest: Record<string, number>; history: MetricDto[] }) {
  const latestEntries = Object.entries(latest).sort(([a], [b]) => a.localeCompare(b));
  if (latestEntries.length === 0) {
    return (
      <p className="text-sm text-zinc-500">
        No metrics logged. Log them with{" "}
        <code className="font-mono text-xs">POST …/versions/&#123;v&#125;/metrics</code>.
      </p>
    );
  }
  const newestFirst = [...history].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.step - a.step);

  return (
    <div className="space-y-3">
      <Table aria-label="Latest metric values" data-testid="metrics-table">
        <THead>
          <tr>
            <Th>Metric</Th>
            <Th className="text-right">Latest value</Th>
          </tr>
        </THead>
        <TBody>
          {latestEntries.map(([key, value]) => (
            <Tr key={key}>
              <Td className="font-mono text-xs text-zinc-900">{key}</Td>
              <Td className="text-right font-mono text-xs tabular-nums" title={String(value)}>
                {formatMetricValue(value)}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      {newestFirst.length > 0 && (
        <details className="group">
          <summary className="cursor-pointer text-sm font-medium text-zinc-700 select-none hover:text-zinc-900">
            History ({formatNumber(newestFirst.length)} {newestFirst.length === 1 ? "point" : "points"})
          </summary>
          <div className="mt-2 max-h-80 overflow-y-auto">
            <Table aria-label="Metric history">
              <THead>
                <tr>
                  <Th>Metric</Th>
                  <Th className="text-right">Value</Th>
                  <Th className="text-right">Step</Th>
                  <Th>Logged</Th>
                </tr>
              </THead>
              <TBody>
                {newestFirst.map((point, index) => (
                  <Tr key={`${point.key}:${point.step}:${point.timestamp}:${index}`}>
                    <Td className="font-mono text-xs">{point.key}</Td>
                    <Td className="text-right font-mono text-xs tabular-nums" title={String(point.value)}>
                      {formatMetricValue(point.value)}
                    </Td>
                    <Td className="text-right tabular-nums">{formatNumber(point.step)}</Td>
                    <Td className="text-zinc-600">
                      <RelativeTime iso={point.timestamp} />
                    </Td>
                  </Tr>
                ))}
              </TBody>
            </Table>
          </div>
        </details>
      )}
    </div>
  );
}
