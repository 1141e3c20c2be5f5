import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import { notFound } from "next/navigation";
import { z } from "zod";
import { listDatasets } from "@/lib/datasets";
import { listEvaluations } from "@/lib/evaluate/evaluations";
import { getModel, getVersion, type VersionDetail } from "@/lib/registry";
import { EvaluationsSection } from "@/components/evaluations/evaluations-section";
import { EVALUATIONS_PAGE_SIZE } from "@/components/evaluations/report";
import { DeleteVersionButton } from "@/components/registry/delete-version-button";
import { EditDescription } from "@/components/registry/edit-description";
import { Lineage } from "@/components/registry/lineage";
import { MetricsTable } from "@/components/registry/metrics-table";
import { ModelInfo } from "@/components/registry/model-info";
import { SignatureTable } from "@/components/registry/signature-table";
import { StageActions } from "@/components/registry/stage-actions";
import { StageBadge } from "@/components/registry/stage-badge";
import { TransitionTimeline } from "@/components/registry/transition-timeline";
import { VersionStatusLive } from "@/components/registry/version-status-live";
import { EVALUATIONS_PAGE_PARAM, modelPath, versionApiPath } from "@/components/paths";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";
import { Card } from "@/components/ui/card";
import { RelativeTime } from "@/components/ui/relative-time";
import { decodeParam, orNotFound } from "../../../_lib/or-not-found";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string; version: string }>;

const DATASET_CHOICES = 200;

const evaluationsPageSchema = z.object({ [EVALUATIONS_PAGE_PARAM]: z.coerce.number().int().min(1).default(1) });

/** Only plain positive integers: "3" yes; "03", "3.0", "abc" are 404s. */
function parseVersionNumber(raw: string): number | null {
  return /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null;
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { name, version } = await params;
  return { title: `${decodeParam(name)} v${version}` };
}

export default async function VersionPage({
  params,
  searchParams,
}: {
  params: Params;
  searchParams: Promise<RawSearchParams>;
}) {
  const raw = await params;
  const evaluationsPage = parseSearchParams(evaluationsPageSchema, await searchParams)[EVALUATIONS_PAGE_PARAM];
  const name = decodeParam(raw.name);
  const versionNumber = parseVersionNumber(raw.version);
  if (versionNumber === null) notFound();
  const [model, detail, datasets, evaluations] = await Promise.all([
    orNotFound(getModel(name)),
    orNotFound(getVersion(name, versionNumber)),
    // The form offers every dataset; models have a handful, so the API's largest page holds them.
    orNotFound(listDatasets(name, { page: 1, pageSize: DATASET_CHOICES })),
    orNotFound(
      listEvaluations(name, { version: versionNumber, page: evaluationsPage, pageSize: EVALUATIONS_PAGE_SIZE }),
    ),
  ]);

  return (
    <div className="space-y-6">
      <Breadcrumbs
        trail={[
          { label: "Models", href: "/models" },
          { label: model.name, href: modelPath(model.name) },
          { label: `v${detail.version}` },
        ]}
      />

      <header className="space-y-4 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="space-y-1">
            <h1 className="text-xl font-semibold tracking-tight text-zinc-900">
              <span className="break-all">{model.name}</span> <span className="text-zinc-500">v{detail.version}</span>
            </h1>
            <p className="text-xs text-zinc-500">
              Uploaded by {detail.createdBy} <RelativeTime iso={detail.createdAt} /> · {detail.format}
            </p>
          </div>
          <div className="flex flex-wrap items-start gap-6 text-sm">
            <div className="space-y-1">
              <p className="text-xs font-medium text-zinc-500 uppercase">Status</p>
              <VersionStatusLive detail={detail} />
            </div>
            <div className="space-y-1">
              <p className="text-xs font-medium text-zinc-500 uppercase">Stage</p>
              <StageBadge stage={detail.stage} data-testid="version-stage" />
            </div>
          </div>
        </div>
        <StageActions
          modelName={model.name}
          version={detail.version}
          stage={detail.stage}
          status={detail.status}
          productionVersion={model.productionVersion}
        />
      </header>

      <EvaluationsSection
        modelName={model.name}
        version={detail.version}
        datasets={datasets.items}
        signature={detail.signature}
        initialPage={evaluations}
        disabledReason={
          detail.status === "READY" ? null : "Only Ready versions can be evaluated; wait for validation to finish."
        }
      />

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="Description and tags">
            <EditDescription
              endpoint={versionApiPath(model.name, detail.version)}
              noun="version"
              description={detail.description}
              tags={detail.tags}
            />
          </Card>
          <Card title="Signature">
            <SignatureSection detail={detail} />
          </Card>
          <Card title="Metrics">
            <MetricsTable latest={detail.metrics} history={detail.metricHistory} />
          </Card>
        </div>
        <div className="space-y-6">
          <Card title="Model info">
            <ModelInfo detail={detail} />
          </Card>
          <Card title="Lineage">
            <Lineage detail={detail} />
          </Card>
          <Card title="Stage history">
            <TransitionTimeline transitions={detail.transitions} />
          </Card>
          <Card title="Danger zone" className="border-red-200">
            <DeleteVersionButton modelName={model.name} version={detail.version} stage={detail.stage} />
          </Card>
        </div>
      </div>
    </div>
  );
}

/** The inputs/outputs table, or why there is none yet. */
function SignatureSection({ detail }: { detail: VersionDetail }) {
  if (detail.signature) return <SignatureTable signature={detail.signature} />;
  const reason =
    detail.status === "PENDING"
      ? "The signature appears once validation finishes."
      : detail.status === "FAILED"
        ? "No signature: the file failed validation."
        : detail.format === "ONNX"
          ? "The model does not declare its inputs and outputs."
          : `Signatures are read from ONNX models; this version is ${detail.format}.`;
  return <p className="text-sm text-zinc-500">{reason}</p>;
}
