"use client";

import Link from "next/link";
import type { Page } from "@/lib/registry/schemas";
import type { EndpointDto } from "@/lib/serving/schemas";
import { endpointPath, modelPath } from "@/components/paths";
import { EmptyState } from "@/components/ui/empty-state";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { Pagination, buildHref } from "@/components/ui/pagination";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { usePolledResource } from "@/components/use-polled-resource";
import { EndpointStatusWithMessage } from "./endpoint-status";
import { formatMs, formatRate, formatRatio } from "./format";
import { ServedVersions } from "./served-versions";
import { ENDPOINT_POLL_MS } from "./use-live-endpoint";

const IDLE_POLL_MS = 5000;

/** Fast while a version is loading somewhere, so Ready shows within seconds; otherwise every 5 s for the traffic figures. */
function pollInterval(page: Page<EndpointDto>): number {
  return page.items.some((endpoint) => endpoint.status === "LOADING") ? ENDPOINT_POLL_MS : IDLE_POLL_MS;
}

const NUMBER_CELL = "text-right whitespace-nowrap tabular-nums";

/** Every endpoint with its status, versions and the last five minutes of traffic, kept fresh by polling. */
export function EndpointTable({ initialPage }: { initialPage: Page<EndpointDto> }) {
  const { page, pageSize } = initialPage;
  const endpoints = usePolledResource({
    url: buildHref("/api/endpoints", { page, pageSize }),
    initial: initialPage,
    intervalFor: pollInterval,
  });
  const { items, total } = endpoints.data;

  if (items.length === 0) {
    return (
      <div className="space-y-3">
        {total > 0 ? (
          <EmptyState
            title="This page is past the last endpoint"
            action={
              <Link href="/endpoints" className="text-sm font-medium text-blue-700 hover:underline">
                Go to the first page
              </Link>
            }
          />
        ) : (
          <EmptyState
            title="No endpoints yet"
            description={
              <>
                A model gets an endpoint when one of its versions is promoted to <strong>Production</strong>: serving
                replicas then load it and answer the KServe V2 and TensorFlow Serving REST protocols. Promote a Ready
                version from its page and the endpoint appears here.
              </>
            }
            action={
              <Link href="/models" className="text-sm font-medium text-blue-700 hover:underline">
                Go to models
              </Link>
            }
          />
        )}
        <LiveUpdateError message={endpoints.error} />
      </div>
    );
  }

  return (
    <div className="space-y-3">
      <Table aria-label="Endpoints">
        <THead>
          <tr>
            <Th>Model</Th>
            <Th>Status</Th>
            <Th>Versions</Th>
            <Th className="text-right" title="Requests per second over the last 5 minutes">
              Req/s
            </Th>
            <Th className="hidden text-right md:table-cell" title="Latency percentiles over the last 5 minutes">
              p50 / p95 / p99 ms
            </Th>
            <Th className="hidden text-right sm:table-cell" title="Share of requests that failed, last 5 minutes">
              Errors
            </Th>
            <Th className="hidden lg:table-cell">Last request</Th>
          </tr>
        </THead>
        <TBody>
          {items.map((endpoint) => (
            <Tr
              key={endpoint.modelId}
              data-testid="endpoint-row"
              data-model-name={endpoint.modelName}
              data-status={endpoint.status}
            >
              <Td className="font-medium">
                <Link href={modelPath(endpoint.modelName)} className="break-all text-blue-700 hover:underline">
                  {endpoint.modelName}
                </Link>
                <div>
                  <Link
                    href={endpointPath(endpoint.modelName)}
                    className="text-xs font-normal text-zinc-500 hover:text-zinc-900 hover:underline"
                  >
                    Metrics and settings
                  </Link>
                </div>
              </Td>
              <Td>
                <EndpointStatusWithMessage
                  status={endpoint.status}
                  message={endpoint.statusMessage}
                  testId="endpoint-status"
                />
              </Td>
              <Td>
                <ServedVersions modelName={endpoint.modelName} versions={endpoint.versions} />
              </Td>
              <Td className={NUMBER_CELL}>{formatRate(endpoint.stats.requestsPerSecond)}</Td>
              <Td className={`hidden md:table-cell ${NUMBER_CELL}`}>
                {formatMs(endpoint.stats.p50Ms)} / {formatMs(endpoint.stats.p95Ms)} / {formatMs(endpoint.stats.p99Ms)}
              </Td>
              <Td
                className={`hidden sm:table-cell ${NUMBER_CELL} ${endpoint.stats.errorRate > 0 ? "text-red-700" : ""}`}
              >
                {formatRatio(endpoint.stats.errorRate)}
              </Td>
              <Td className="hidden whitespace-nowrap text-zinc-600 lg:table-cell">
                {endpoint.stats.lastRequestAt ? (
                  <RelativeTime iso={endpoint.stats.lastRequestAt} />
                ) : (
                  <span className="text-zinc-400">Never</span>
                )}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      <Pagination path="/endpoints" page={page} pageSize={pageSize} total={total} noun="endpoints" />
      <LiveUpdateError message={endpoints.error} />
    </div>
  );
}
