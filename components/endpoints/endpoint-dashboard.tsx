"use client";

import type { EndpointDto, EndpointSeries, OnlineAccuracySeries } from "@/lib/serving/schemas";
import { Card } from "@/components/ui/card";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { RelativeTime } from "@/components/ui/relative-time";
import { EndpointActions } from "./endpoint-actions";
import { EndpointCharts, type ChartQuery } from "./endpoint-charts";
import { EndpointFacts } from "./endpoint-facts";
import { EndpointUrls } from "./endpoint-urls";
import { OnlineAccuracy } from "./online-accuracy";
import { ReplicaTable } from "./replica-table";
import { RequestExamplesView } from "./request-examples-view";
import { SettingsForm } from "./settings-form";
import { useLiveEndpoint } from "./use-live-endpoint";
import { useRequestExamples, type VersionSignature } from "./use-request-examples";

/**
 * The endpoint page: the same headline as the model page's panel, then live charts, the replicas
 * and the settings. One poll of the endpoint feeds every section, so they never disagree.
 */
export function EndpointDashboard({
  initialEndpoint,
  initialSignature,
  initialSeries,
  initialAccuracy,
  query,
}: {
  initialEndpoint: EndpointDto;
  initialSignature: VersionSignature | null;
  initialSeries: EndpointSeries;
  initialAccuracy: OnlineAccuracySeries;
  query: ChartQuery;
}) {
  const live = useLiveEndpoint(initialEndpoint);
  const endpoint = live.data;
  const examples = useRequestExamples(endpoint, initialSignature);
  const adopt = (next: EndpointDto) => live.setData(() => next);

  return (
    <div className="space-y-6">
      <header className="space-y-5 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="space-y-1">
            <h1 className="text-xl font-semibold tracking-tight text-zinc-900">
              <span className="break-all">{endpoint.modelName}</span> <span className="text-zinc-500">endpoint</span>
            </h1>
            <p className="text-xs text-zinc-500">
              {endpoint.updatedAt ? (
                <>
                  {endpoint.deployed ? "Deployed" : "Undeployed"}; last changed{" "}
                  <RelativeTime iso={endpoint.updatedAt} />
                </>
              ) : (
                "Never deployed"
              )}
            </p>
          </div>
          <EndpointActions endpoint={endpoint} onChange={adopt} />
        </div>
        <EndpointFacts endpoint={endpoint} />
        <EndpointUrls urls={endpoint.urls} modelName={endpoint.modelName} />
        <LiveUpdateError message={live.error} />
      </header>

      <EndpointCharts
        modelName={endpoint.modelName}
        initialSeries={initialSeries}
        query={query}
        servedVersions={endpoint.versions.map((served) => served.version)}
        curlExample={examples.kind === "ready" ? examples.examples.kserve.curl : null}
      />

      <OnlineAccuracy
        modelName={endpoint.modelName}
        initialSeries={initialAccuracy}
        query={query}
        sampleRate={endpoint.settings?.predictionSampleRate ?? null}
      />

      <Card title="Replicas" id="replicas">
        <ReplicaTable modelName={endpoint.modelName} replicas={endpoint.replicas} />
      </Card>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Settings" id="settings">
          <SettingsForm endpoint={endpoint} onSaved={adopt} />
        </Card>
        <Card title="Request examples" id="examples">
          <RequestExamplesView state={examples} deployed={endpoint.deployed} />
        </Card>
      </div>
    </div>
  );
}
