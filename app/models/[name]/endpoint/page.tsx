import type { Metadata } from "next";
import { getEndpointSeries } from "@/lib/serving/endpoint-series";
import { endpointSeriesQuerySchema } from "@/lib/serving/schemas";
import { EndpointDashboard } from "@/components/endpoints/endpoint-dashboard";
import { modelPath } from "@/components/paths";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import { decodeParam, orNotFound } from "../../_lib/or-not-found";
import { loadEndpoint } from "./_lib/load-endpoint";

export const dynamic = "force-dynamic";

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
  const query = parseSearchParams(endpointSeriesQuerySchema, await searchParams);
  const [{ endpoint, signature }, series] = await Promise.all([
    orNotFound(loadEndpoint(name)),
    orNotFound(getEndpointSeries(name, query)),
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
        query={{ range: query.range, version: query.version }}
      />
    </div>
  );
}
