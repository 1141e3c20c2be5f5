import type { Metadata } from "next";
import Link from "next/link";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import type { ReactNode } from "react";
import { z } from "zod";
import { listDatasets } from "@/lib/datasets";
import { getModel, listVersions, paginationSchema } from "@/lib/registry";
import { DatasetsSection } from "@/components/datasets/datasets-section";
import { EditDescription } from "@/components/registry/edit-description";
import { RollbackButton } from "@/components/registry/rollback-button";
import { StageVersionBadge } from "@/components/registry/stage-badge";
import { VersionsSection } from "@/components/registry/versions-section";
import { EndpointPanel } from "@/components/endpoints/endpoint-panel";
import { AccuracyCard } from "@/components/evaluations/accuracy-card";
import { DATASETS_PAGE_PARAM, modelApiPath } from "@/components/paths";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";
import { buildHref } from "@/components/ui/pagination";
import { RelativeTime } from "@/components/ui/relative-time";
import { decodeParam, orNotFound } from "../_lib/or-not-found";
import { loadEndpoint } from "./endpoint/_lib/load-endpoint";
import { loadLatestEvaluations } from "./_lib/latest-evaluations";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string }>;

const DATASETS_PAGE_SIZE = 10;
const datasetsPageSchema = z.object({ [DATASETS_PAGE_PARAM]: z.coerce.number().int().min(1).default(1) });

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: decodeParam((await params).name) };
}

export default async function ModelPage({
  params,
  searchParams,
}: {
  params: Params;
  searchParams: Promise<RawSearchParams>;
}) {
  const name = decodeParam((await params).name);
  const query = await searchParams;
  const { page, pageSize } = parseSearchParams(paginationSchema, query);
  const datasetsPage = parseSearchParams(datasetsPageSchema, query)[DATASETS_PAGE_PARAM];
  const [model, versions, endpoint, datasets, evaluations] = await Promise.all([
    orNotFound(getModel(name)),
    orNotFound(listVersions(name, { page, pageSize })),
    orNotFound(loadEndpoint(name)),
    orNotFound(listDatasets(name, { page: datasetsPage, pageSize: DATASETS_PAGE_SIZE })),
    loadLatestEvaluations(name),
  ]);

  return (
    <div className="space-y-6">
      <Breadcrumbs trail={[{ label: "Models", href: "/models" }, { label: model.name }]} />

      <header className="grid gap-4 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm lg:grid-cols-[1fr_auto]">
        <div className="min-w-0 space-y-3">
          <div>
            <h1 className="text-xl font-semibold tracking-tight break-all text-zinc-900">{model.name}</h1>
            <p className="text-xs text-zinc-500">
              Created by {model.createdBy} <RelativeTime iso={model.createdAt} /> · updated{" "}
              <RelativeTime iso={model.updatedAt} />
            </p>
          </div>
          <EditDescription
            endpoint={modelApiPath(model.name)}
            noun="model"
            description={model.description}
            tags={model.tags}
          />
        </div>
        <dl className="flex flex-wrap items-start gap-x-6 gap-y-3 text-sm lg:flex-col lg:items-end">
          <HeaderFact label="Production">
            <StageVersionBadge modelName={model.name} stage="PRODUCTION" version={model.productionVersion} />
            {model.productionVersion !== null && (
              <RollbackButton modelName={model.name} productionVersion={model.productionVersion} />
            )}
          </HeaderFact>
          <HeaderFact label="Staging">
            <StageVersionBadge modelName={model.name} stage="STAGING" version={model.stagingVersion} />
          </HeaderFact>
          <HeaderFact label="Jobs">
            <Link href={buildHref("/jobs", { modelName: model.name })} className="text-blue-700 hover:underline">
              View jobs
            </Link>
          </HeaderFact>
        </dl>
      </header>

      <EndpointPanel initialEndpoint={endpoint.endpoint} initialSignature={endpoint.signature} />

      <VersionsSection modelName={model.name} initialPage={versions} />

      <AccuracyCard modelName={model.name} evaluations={evaluations} productionVersion={model.productionVersion} />

      <DatasetsSection modelName={model.name} initialPage={datasets} />
    </div>
  );
}

function HeaderFact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center gap-2">
      <dt className="text-zinc-500">{label}</dt>
      <dd className="flex items-center gap-2">{children}</dd>
    </div>
  );
}
