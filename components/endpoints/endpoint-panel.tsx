"use client";

import Link from "next/link";
import type { EndpointDto } from "@/lib/serving/schemas";
import { endpointPath } from "@/components/paths";
import { Card } from "@/components/ui/card";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { EndpointActions } from "./endpoint-actions";
import { EndpointFacts } from "./endpoint-facts";
import { EndpointUrls } from "./endpoint-urls";
import { RequestExamplesView } from "./request-examples-view";
import { useLiveEndpoint } from "./use-live-endpoint";
import { useRequestExamples, type VersionSignature } from "./use-request-examples";

/**
 * The model page's view of its endpoint: status, served versions, URLs and ready-to-run requests,
 * with Deploy / Undeploy. It polls, so a promotion or a replica finishing a load shows by itself.
 */
export function EndpointPanel({
  initialEndpoint,
  initialSignature,
}: {
  initialEndpoint: EndpointDto;
  initialSignature: VersionSignature | null;
}) {
  const live = useLiveEndpoint(initialEndpoint);
  const endpoint = live.data;
  const examples = useRequestExamples(endpoint, initialSignature);

  return (
    <Card
      title="Endpoint"
      id="endpoint"
      actions={
        <Link
          href={endpointPath(endpoint.modelName)}
          className="text-sm font-medium text-blue-700 hover:underline"
          data-testid="endpoint-page-link"
        >
          Metrics, replicas and settings →
        </Link>
      }
    >
      <div className="space-y-5" data-testid="endpoint-panel">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="min-w-0 flex-1">
            <EndpointFacts endpoint={endpoint} />
          </div>
          <EndpointActions endpoint={endpoint} onChange={(next) => live.setData(() => next)} />
        </div>
        <EndpointUrls urls={endpoint.urls} modelName={endpoint.modelName} />
        <RequestExamplesView state={examples} deployed={endpoint.deployed} />
        <LiveUpdateError message={live.error} />
      </div>
    </Card>
  );
}
