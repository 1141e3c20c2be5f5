import type { ReactNode } from "react";
import type { EndpointDto, EndpointStats } from "@/lib/serving/schemas";
import { RelativeTime } from "@/components/ui/relative-time";
import { formatNumber } from "@/components/ui/format";
import { EndpointStatusWithMessage } from "./endpoint-status";
import { formatMs, formatRate, formatRatio } from "./format";
import { ServedVersions } from "./served-versions";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0 space-y-1">
      <dt className="text-xs font-medium text-zinc-500 uppercase">{label}</dt>
      <dd className="text-sm text-zinc-900">{children}</dd>
    </div>
  );
}

/** The last five minutes in one line, and when the endpoint last saw a request at all. */
export function TrafficSummary({ stats }: { stats: EndpointStats }) {
  return (
    <div className="space-y-0.5">
      {stats.requests === 0 ? (
        <p className="text-zinc-500">No requests</p>
      ) : (
        <p className="tabular-nums">
          {formatRate(stats.requestsPerSecond)} req/s · p95 {formatMs(stats.p95Ms)} ms ·{" "}
          <span className={stats.errorRate > 0 ? "text-red-700" : undefined}>
            {formatRatio(stats.errorRate)} errors
          </span>
          <span className="block text-xs text-zinc-500">{formatNumber(stats.requests)} requests</span>
        </p>
      )}
      <p className="text-xs text-zinc-500">
        Last request {stats.lastRequestAt ? <RelativeTime iso={stats.lastRequestAt} /> : "never"}
      </p>
    </div>
  );
}

/** Status, served versions and recent traffic: the endpoint's headline, on the model and endpoint pages. */
export function EndpointFacts({ endpoint }: { endpoint: EndpointDto }) {
  return (
    <dl className="grid gap-4 sm:grid-cols-3">
      <Fact label="Status">
        <EndpointStatusWithMessage status={endpoint.status} message={endpoint.statusMessage} testId="endpoint-status" />
      </Fact>
      <Fact label="Serving">
        <ServedVersions modelName={endpoint.modelName} versions={endpoint.versions} />
      </Fact>
      <Fact label="Last 5 minutes">
        <TrafficSummary stats={endpoint.stats} />
      </Fact>
    </dl>
  );
}
