"use client";

import type { ReplicaDto } from "@/lib/serving/schemas";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { formatAbsoluteTime, formatDuration } from "@/components/ui/format";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { useNow } from "@/components/ui/use-now";
import { EndpointStatusBadge } from "./endpoint-status";
import { LABEL_STAGE } from "./served-versions";
import { STAGE_LABEL } from "@/components/registry/stage-badge";

/** Seconds since the last heartbeat, ticking; relative-time's "just now" would hide a replica going quiet. */
function HeartbeatAge({ iso }: { iso: string }) {
  const now = useNow();
  const absolute = formatAbsoluteTime(iso);
  return (
    <time dateTime={iso} title={absolute} className="tabular-nums">
      {now === null ? absolute : `${formatDuration(Math.max(0, now - new Date(iso).getTime()))} ago`}
    </time>
  );
}

/** What one replica reports about this model's versions: state, labels it routes, and any failure. */
function HostedVersions({ replica, modelName }: { replica: ReplicaDto; modelName: string }) {
  const hosted = replica.models.filter((model) => model.modelName === modelName);
  if (hosted.length === 0) return <span className="text-zinc-400">Not hosting this model</span>;
  return (
    <ul className="space-y-1.5">
      {hosted.map((model) => (
        <li
          key={model.versionId}
          className="space-y-0.5"
          data-testid="replica-version"
          data-version={model.version}
          data-state={model.state}
        >
          <div className="flex flex-wrap items-center gap-1.5">
            <span className="font-medium text-zinc-900">v{model.version}</span>
            <EndpointStatusBadge status={model.state} />
            {model.labels.length > 0 && (
              <span className="text-xs text-zinc-500">
                answers {model.labels.map((label) => STAGE_LABEL[LABEL_STAGE[label]]).join(" and ")}
              </span>
            )}
          </div>
          {model.message && <p className="max-w-sm text-xs break-words text-red-700">{model.message}</p>}
        </li>
      ))}
    </ul>
  );
}

/** The serving processes heard from in the last hour and how each is doing with this model. */
export function ReplicaTable({ modelName, replicas }: { modelName: string; replicas: ReplicaDto[] }) {
  if (replicas.length === 0) {
    return (
      <EmptyState
        title="No serving replicas"
        description={
          <>
            No serving process has reported in the last hour, so nothing answers requests. Start one with{" "}
            <code className="font-mono text-xs">npm run serve</code> (
            <code className="font-mono text-xs">npm run up</code> starts one too); it shows up here within seconds.
          </>
        }
      />
    );
  }
  return (
    <Table aria-label="Serving replicas" data-testid="replica-table">
      <THead>
        <tr>
          <Th>Replica</Th>
          <Th>State</Th>
          <Th>Heartbeat</Th>
          <Th>This model</Th>
        </tr>
      </THead>
      <TBody>
        {replicas.map((replica) => (
          <Tr key={replica.id} data-testid="replica-row" data-live={replica.live}>
            <Td className="min-w-48">
              <div className="font-medium break-all text-zinc-900">
                {replica.hostname} <span className="font-normal text-zinc-500">pid {replica.pid}</span>
              </div>
              <code className="block font-mono text-xs break-all text-zinc-600">{replica.url}</code>
              <div className="font-mono text-[11px] break-all text-zinc-400" title="Replica id">
                {replica.id}
              </div>
            </Td>
            <Td>
              {replica.live ? (
                <Badge tone="green">Live</Badge>
              ) : (
                <Badge tone="muted" title="No heartbeat recently: the process stopped or cannot reach the database">
                  Gone
                </Badge>
              )}
            </Td>
            <Td className="whitespace-nowrap text-zinc-700">
              <HeartbeatAge iso={replica.heartbeatAt} />
            </Td>
            <Td>
              <HostedVersions replica={replica} modelName={modelName} />
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
