import type { Metadata } from "next";
import Link from "next/link";
import { listDatasets } from "@/lib/datasets";
import type { ClassificationReport } from "@/lib/evaluate";
import { getModel, listVersions } from "@/lib/registry";
import { CompareForm } from "@/components/evaluations/compare-form";
import { ConfusionMatrix } from "@/components/evaluations/confusion-matrix";
import { EvaluateVersions } from "@/components/evaluations/evaluate-versions";
import { evaluationReport, type EvaluationReport } from "@/components/evaluations/report";
import { PerClassF1Chart } from "@/components/evaluations/report-charts";
import { ReportMetricsTable } from "@/components/evaluations/report-metrics-table";
import { modelPath, versionPath } from "@/components/paths";
import type { RawSearchParams } from "@/components/search-params";
import { Alert } from "@/components/ui/alert";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import { Card } from "@/components/ui/card";
import { ChartCard } from "@/components/ui/chart";
import { EmptyState } from "@/components/ui/empty-state";
import { decodeParam, orNotFound } from "../../_lib/or-not-found";
import { loadLatestEvaluations } from "../_lib/latest-evaluations";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string }>;

/** The API's largest page: enough to offer every version and dataset of a model. */
const ALL = { page: 1, pageSize: 200 };
const MAX_VERSIONS = 8;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `Compare · ${decodeParam((await params).name)}` };
}

/** `?versions=1,2` (or repeated `versions=`), keeping plain positive integers, in order, without duplicates. */
function parseVersions(raw: RawSearchParams["versions"]): number[] {
  const parts = (Array.isArray(raw) ? raw : [raw ?? ""]).flatMap((value) => value.split(","));
  const versions = parts.filter((part) => /^[1-9]\d{0,8}$/.test(part.trim())).map(Number);
  return [...new Set(versions)].sort((a, b) => a - b).slice(0, MAX_VERSIONS);
}

export default async function ComparePage({
  params,
  searchParams,
}: {
  params: Params;
  searchParams: Promise<RawSearchParams>;
}) {
  const name = decodeParam((await params).name);
  const query = await searchParams;
  const [model, versionsPage, datasetsPage] = await Promise.all([
    orNotFound(getModel(name)),
    orNotFound(listVersions(name, ALL)),
    orNotFound(listDatasets(name, ALL)),
  ]);
  const requestedDataset = typeof query.dataset === "string" ? query.dataset : undefined;
  const dataset = datasetsPage.items.find((item) => item.id === requestedDataset) ?? datasetsPage.items[0];
  // A hand-edited URL may name versions that do not exist (or were deleted); they are dropped.
  const existing = new Set(versionsPage.items.map((item) => item.version));
  const selectedVersions = parseVersions(query.versions).filter((version) => existing.has(version));
  const evaluations = dataset ? await loadLatestEvaluations(name, { datasetId: dataset.id }) : [];
  const reportOf = new Map(evaluations.map((evaluation) => [evaluation.version, evaluationReport(evaluation)]));

  const label = (version: number) => `v${version}${version === model.productionVersion ? " (Production)" : ""}`;
  const columns = selectedVersions.map((version) => ({ label: label(version), report: reportOf.get(version) ?? null }));
  const unevaluated = selectedVersions.filter((version) => !reportOf.has(version));
  const classification = selectedVersions.flatMap((version) => {
    const report = reportOf.get(version);
    return isClassification(report) ? [{ name: label(version), report }] : [];
  });

  return (
    <div className="space-y-6">
      <Breadcrumbs
        trail={[
          { label: "Models", href: "/models" },
          { label: model.name, href: modelPath(model.name) },
          { label: "Compare versions" },
        ]}
      />
      <h1 className="text-xl font-semibold tracking-tight text-zinc-900">
        Compare versions of <span className="break-all">{model.name}</span>
      </h1>

      {!dataset ? (
        <EmptyState
          title="No datasets to compare on"
          description="Upload a labelled dataset on the model page, evaluate two versions on it, then compare them here."
          action={
            <Link href={modelPath(model.name)} className="text-sm font-medium text-blue-700 hover:underline">
              Go to {model.name}
            </Link>
          }
        />
      ) : (
        <>
          <Card title="Selection">
            <CompareForm
              key={`${dataset.id}:${selectedVersions.join(",")}`}
              modelName={model.name}
              datasets={datasetsPage.items.map(({ id, name: datasetName }) => ({ id, name: datasetName }))}
              versions={versionsPage.items.map(({ version }) => ({ version, evaluated: reportOf.has(version) }))}
              selected={{ datasetId: dataset.id, versions: selectedVersions }}
            />
          </Card>

          {selectedVersions.length < 2 ? (
            <EmptyState
              title="Choose two or more versions"
              description={`Versions are compared on their newest succeeded evaluation on ${dataset.name}.`}
            />
          ) : (
            <>
              {unevaluated.length > 0 && (
                <Alert tone="warning">
                  <div className="space-y-3">
                    <p>
                      Not evaluated on {dataset.name} yet: {unevaluated.map(label).join(", ")}. Evaluate them here all
                      at once, or one by one on each version&apos;s page (
                      {unevaluated.map((version, index) => (
                        <span key={version}>
                          {index > 0 && ", "}
                          <Link href={`${versionPath(model.name, version)}#evaluations`} className="underline">
                            v{version}
                          </Link>
                        </span>
                      ))}
                      ).
                    </p>
                    <EvaluateVersions
                      modelName={model.name}
                      datasetId={dataset.id}
                      datasetName={dataset.name}
                      versions={unevaluated}
                    />
                  </div>
                </Alert>
              )}
              <Card title={`Metrics on ${dataset.name}`}>
                <ReportMetricsTable caption="Metrics per version" columns={columns} testId="compare-table" />
              </Card>
              {classification.length > 0 && (
                <>
                  <ChartCard
                    title="F1 per class"
                    description="One bar per version in each class (0–1, higher is better)"
                    testId="per-class-f1-chart"
                    height={280}
                  >
                    <PerClassF1Chart series={classification} />
                  </ChartCard>
                  <Card title="Confusion matrices">
                    <div className="grid gap-6 lg:grid-cols-2">
                      {classification.map((entry) => (
                        <ConfusionMatrix key={entry.name} report={entry.report} caption={entry.name} />
                      ))}
                    </div>
                  </Card>
                </>
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}

function isClassification(report: EvaluationReport | null | undefined): report is ClassificationReport {
  return report?.task === "classification";
}
