import Link from "next/link";
import type { VersionSummary } from "@/lib/registry/schemas";
import { versionPath } from "@/components/paths";
import { formatBytes, formatMetricValue } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { StageBadge } from "./stage-badge";
import { StatusWithMessage } from "./status-badge";

const KEY_METRIC_COUNT = 3;

/** The first few metrics as `key=value`, with a count of the rest. */
function KeyMetrics({ metrics }: { metrics: Record<string, number> }) {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return <span className="text-zinc-400">—</span>;
  const hidden = entries.length - KEY_METRIC_COUNT;
  return (
    <ul className="space-y-0.5 font-mono text-xs text-zinc-700">
      {entries.slice(0, KEY_METRIC_COUNT).map(([key, value]) => (
        <li key={key} className="whitespace-nowrap">
          <span className="text-zinc-500">{key}=</span>
          {formatMetricValue(value)}
        </li>
      ))}
      {hidden > 0 && <li className="font-sans text-zinc-500">+{hidden} more</li>}
    </ul>
  );
}

export function VersionTable({ versions }: { versions: VersionSummary[] }) {
  return (
    <Table aria-label="Versions">
      <THead>
        <tr>
          <Th>Version</Th>
          <Th>Stage</Th>
          <Th>Status</Th>
          <Th className="hidden sm:table-cell">Format</Th>
          <Th className="hidden sm:table-cell text-right">Size</Th>
          <Th className="hidden md:table-cell">Created</Th>
          <Th className="hidden lg:table-cell">Metrics</Th>
          <Th className="hidden xl:table-cell">Description</Th>
        </tr>
      </THead>
      <TBody>
        {versions.map((version) => (
          <Tr
            key={version.id}
            data-testid="version-row"
            data-version={version.version}
            data-status={version.status}
            data-stage={version.stage}
          >
            <Td className="font-medium">
              <Link href={versionPath(version.modelName, version.version)} className="text-blue-700 hover:underline">
                v{version.version}
              </Link>
            </Td>
            <Td>
              <StageBadge stage={version.stage} data-testid="version-stage" />
            </Td>
            <Td>
              <StatusWithMessage
                status={version.status}
                statusMessage={version.statusMessage}
                testId="version-status"
              />
            </Td>
            <Td className="hidden text-zinc-700 sm:table-cell">{version.format}</Td>
            <Td className="hidden text-right whitespace-nowrap text-zinc-700 tabular-nums sm:table-cell">
              {formatBytes(version.sizeBytes)}
            </Td>
            <Td className="hidden whitespace-nowrap text-zinc-600 md:table-cell">
              <RelativeTime iso={version.createdAt} />
              <div className="text-xs text-zinc-500">by {version.createdBy}</div>
            </Td>
            <Td className="hidden lg:table-cell">
              <KeyMetrics metrics={version.metrics} />
            </Td>
            <Td className="hidden max-w-xs xl:table-cell">
              {version.description ? (
                <p className="line-clamp-2 text-zinc-600" title={version.description}>
                  {version.description}
                </p>
              ) : (
                <span className="text-zinc-400">—</span>
              )}
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
