import type { Metadata } from "next";
import { paginationSchema } from "@/lib/registry";
import { listEndpoints } from "@/lib/serving/deployments";
import { EndpointTable } from "@/components/endpoints/endpoint-table";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Endpoints" };

export default async function EndpointsPage({ searchParams }: { searchParams: Promise<RawSearchParams> }) {
  const endpoints = await listEndpoints(parseSearchParams(paginationSchema, await searchParams));

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Endpoints</h1>
        <p className="text-sm text-zinc-600">
          Live models served over the KServe V2 and TensorFlow Serving REST protocols. Traffic figures cover the last 5
          minutes.
        </p>
      </div>
      <EndpointTable initialPage={endpoints} />
    </div>
  );
}
