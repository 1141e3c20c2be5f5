"use client";

import { useRouter } from "next/navigation";
import type { EndpointRange, EndpointSeries, OnlineAccuracyBucket } from "@/lib/serving/schemas";
import { endpointMetricsApiPath, endpointPath } from "@/components/paths";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { formatNumber } from "@/components/ui/format";
import { inputClasses } from "@/components/ui/input-classes";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { buildHref } from "@/components/ui/pagination";
import { usePolledResource } from "@/components/use-polled-resource";
import { ChartCard } from "@/components/ui/chart";
import { SegmentedLinks } from "@/components/ui/segmented-links";
import { BatchSizeChart, LatencyChart, ThroughputChart, chartPoints } from "./charts";
import { CodeBlock } from "./code-block";
import { formatRate, formatRatio, formatStep } from "./format";

/** Replicas flush their statistics every few seconds; polling faster would show nothing new. */
const SERIES_POLL_MS = 5000;

const RANGES: { value: EndpointRange; label: string; phrase: string; seconds: number }[] = [
  { value: "15m", label: "15 min", phrase: "15 minutes", seconds: 15 * 60 },
  { value: "1h", label: "1 hour", phrase: "hour", seconds: 3600 },
  { value: "24h", label: "24 hours", phrase: "24 hours", seconds: 24 * 3600 },
];

export interface ChartQuery {
  range: EndpointRange;
  version?: number;
  /** Online accuracy per hour or per day. */
  accuracy: OnlineAccuracyBucket;
}

/** The page URL for a chart query; defaults stay out of the URL. */
export function endpointPageHref(modelName: string, { range, version, accuracy }: ChartQuery): string {
  return buildHref(endpointPath(modelName), {
    range: range === "15m" ? undefined : range,
    version,
    accuracy: accuracy === "hour" ? undefined : accuracy,
  });
}

function Figure({ label, value, testId, tone }: { label: string; value: string; testId?: string; tone?: string }) {
  return (
    <div className="min-w-28">
      <dt className="text-xs font-medium text-zinc-500 uppercase">{label}</dt>
      <dd className={cn("text-lg font-semibold text-zinc-900 tabular-nums", tone)} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/**
 * Live charts of one endpoint over a range, optionally for one version. The range and version
 * live in the URL, so the server renders the first view and a link reproduces it.
 */
export function EndpointCharts({
  modelName,
  initialSeries,
  query,
  servedVersions,
  curlExample,
}: {
  modelName: string;
  initialSeries: EndpointSeries;
  query: ChartQuery;
  /** Versions the endpoint serves now, offered in the filter even before they get traffic. */
  servedVersions: number[];
  /** A request to send when there is no traffic yet; null when nothing is served. */
  curlExample: string | null;
}) {
  const router = useRouter();
  const { data: series, error } = usePolledResource({
    url: buildHref(endpointMetricsApiPath(modelName), { range: query.range, version: query.version }),
    initial: initialSeries,
    intervalFor: () => SERIES_POLL_MS,
  });
  const range = RANGES.find((candidate) => candidate.value === series.range) ?? RANGES[0]!;
  const totals = series.points.reduce(
    (sum, point) => ({ requests: sum.requests + point.requests, errors: sum.errors + point.errors }),
    { requests: 0, errors: 0 },
  );
  const versionChoices = [
    ...new Set([
      ...servedVersions,
      ...series.versions.map((entry) => entry.version),
      ...(query.version ? [query.version] : []),
    ]),
  ].sort((a, b) => b - a);
  const points = chartPoints(series);
  const scope = query.version ? ` for v${query.version}` : "";

  return (
    <section aria-labelledby="endpoint-traffic-heading" className="space-y-4" data-testid="endpoint-charts">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="endpoint-traffic-heading" className="text-base font-semibold text-zinc-900">
            Traffic
          </h2>
          <p className="text-xs text-zinc-500">Updates every 5 seconds. Times are in your time zone.</p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <SegmentedLinks
            label="Time range"
            options={RANGES.map((option) => ({
              label: option.label,
              href: endpointPageHref(modelName, { ...query, range: option.value }),
              selected: option.value === series.range,
              testId: `range-${option.value}`,
            }))}
          />
          <label className="flex items-center gap-2 text-sm text-zinc-700">
            Version
            <select
              value={query.version ?? ""}
              onChange={(event) =>
                router.push(
                  endpointPageHref(modelName, {
                    ...query,
                    range: series.range,
                    version: event.target.value ? Number(event.target.value) : undefined,
                  }),
                  { scroll: false },
                )
              }
              className={inputClasses({ className: "w-36" })}
              data-testid="metrics-version"
            >
              <option value="">All versions</option>
              {versionChoices.map((version) => (
                <option key={version} value={version}>
                  v{version}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>

      <dl className="flex flex-wrap gap-x-8 gap-y-3 rounded-lg border border-zinc-200 bg-white px-4 py-3 shadow-sm">
        <Figure
          label={`Requests, last ${range.phrase}`}
          value={formatNumber(totals.requests)}
          testId="endpoint-requests"
        />
        <Figure
          label="Errors"
          value={`${formatNumber(totals.errors)} (${formatRatio(totals.requests > 0 ? totals.errors / totals.requests : 0)})`}
          tone={totals.errors > 0 ? "text-red-700" : undefined}
        />
        <Figure label="Average throughput" value={`${formatRate(totals.requests / range.seconds)} req/s`} />
      </dl>

      {totals.requests === 0 ? (
        <div data-testid="metrics-empty">
          <EmptyState
            title={`No requests in the last ${range.phrase}${scope}`}
            description={
              curlExample
                ? "The charts fill in as requests arrive. Send one to see it here within seconds:"
                : "The endpoint serves no version yet; deploy it, then send requests to its URLs."
            }
            action={
              curlExample && (
                <div className="w-full max-w-3xl text-left">
                  <CodeBlock code={curlExample} copyLabel="Copy the curl example" />
                </div>
              )
            }
          />
        </div>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <ChartCard
            title="Latency"
            description={`p50, p95 and p99 of request latency (ms) per ${formatStep(series.stepSeconds)}`}
            testId="latency-chart"
          >
            <LatencyChart points={points} range={series.range} stepSeconds={series.stepSeconds} />
          </ChartCard>
          <ChartCard
            title="Throughput and errors"
            description={`Requests per second, and failed requests per ${formatStep(series.stepSeconds)}`}
            testId="throughput-chart"
          >
            <ThroughputChart points={points} range={series.range} stepSeconds={series.stepSeconds} />
          </ChartCard>
          <ChartCard
            title="Batch sizes"
            description={`How many rows each model run combined, over the last ${range.phrase}`}
            testId="batch-size-chart"
            empty={series.batchSizes.length === 0 ? "No model runs recorded in this range" : null}
          >
            <BatchSizeChart batchSizes={series.batchSizes} />
          </ChartCard>
        </div>
      )}
      <LiveUpdateError message={error} />
    </section>
  );
}
