import type { Metadata } from "next";
import { getEndpointSeries } from "@/lib/serving/endpoint-series";
import { onlineAccuracySeries } from "@/lib/serving/prediction-store";
import { endpointSeriesQuerySchema, onlineAccuracyBucketSchema } from "@/lib/serving/schemas";
import { EndpointDashboard } from "@/components/endpoints/endpoint-dashboard";
import { modelPath } from "@/components/paths";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import { decodeParam, orNotFound } from "../../_lib/or-not-found";
import { loadEndpoint } from "./_lib/load-endpoint";

export const dynamic = "force-dynamic";

const pageQuerySchema = endpointSeriesQuerySchema.extend({ accuracy: onlineAccuracyBucketSchema.default("hour") });

type Params = Promise<{ name: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `${decodeParam((await params).name)} endpoint` };
}

export default async function EndpointPage({
  params,
  searchParams,
}: {
  params: Params;
  searchParams: Promise<RawSearchParams>;
}) {
  const name = decodeParam((await params).name);
  const query = parseSearchParams(pageQuerySchema, await searchParams);
  const [{ endpoint, signature }, series, accuracy] = await Promise.all([
    orNotFound(loadEndpoint(name)),
    orNotFound(getEndpointSeries(name, query)),
    orNotFound(onlineAccuracySeries(name, { bucket: query.accuracy, version: query.version })),
  ]);

  return (
    <div className="space-y-6">
      <Breadcrumbs
        trail={[
          { label: "Models", href: "/models" },
          { label: endpoint.modelName, href: modelPath(endpoint.modelName) },
          { label: "Endpoint" },
        ]}
      />
      <EndpointDashboard
        initialEndpoint={endpoint}
        initialSignature={signature}
        initialSeries={series}
        initialAccuracy={accuracy}
        query={{ range: query.range, version: query.version, accuracy: query.accuracy }}
      />
    </div>
  );
}
