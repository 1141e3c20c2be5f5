import type { Metadata } from "next";
import { getDataset } from "@/lib/datasets";
import { ColumnTable } from "@/components/datasets/column-table";
import { DeleteDatasetButton } from "@/components/datasets/delete-dataset-button";
import { LabelColumnSelect } from "@/components/datasets/label-column-select";
import { PreviewTable } from "@/components/datasets/preview-table";
import { datasetDownloadApiPath, modelPath } from "@/components/paths";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";
import { buttonClasses } from "@/components/ui/button";
import { Card, FactList } from "@/components/ui/card";
import { formatBytes, formatNumber } from "@/components/ui/format";
import { RelativeTime } from "@/components/ui/relative-time";
import { decodeParam, orNotFound } from "../../../_lib/or-not-found";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string; id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { name } = await params;
  return { title: `${decodeParam(name)} dataset` };
}

export default async function DatasetPage({ params }: { params: Params }) {
  const raw = await params;
  const dataset = await orNotFound(getDataset(decodeParam(raw.name), decodeParam(raw.id)));
  const numberColumns = dataset.columns.filter((column) => column.kind === "number").length;

  return (
    <div className="space-y-6">
      <Breadcrumbs
        trail={[
          { label: "Models", href: "/models" },
          { label: dataset.modelName, href: modelPath(dataset.modelName) },
          { label: dataset.name },
        ]}
      />

      <header className="flex flex-wrap items-start justify-between gap-4 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold tracking-tight break-all text-zinc-900">{dataset.name}</h1>
          <p className="text-xs text-zinc-500">
            Dataset of {dataset.modelName} · uploaded by {dataset.createdBy} <RelativeTime iso={dataset.createdAt} />
          </p>
        </div>
        <a
          href={datasetDownloadApiPath(dataset.modelName, dataset.id)}
          download
          className={buttonClasses("secondary", "sm")}
          data-testid="dataset-download"
        >
          Download
        </a>
      </header>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          <Card title="Preview">
            <PreviewTable dataset={dataset} />
          </Card>
          <Card title="Columns">
            <ColumnTable columns={dataset.columns} labelColumn={dataset.labelColumn} rowCount={dataset.rowCount} />
          </Card>
        </div>
        <div className="space-y-6">
          <Card title="Label">
            <LabelColumnSelect dataset={dataset} />
          </Card>
          <Card title="Facts">
            <FactList
              facts={[
                { label: "Format", value: dataset.format === "JSONL" ? "JSON Lines" : "CSV" },
                { label: "Rows", value: formatNumber(dataset.rowCount) },
                {
                  label: "Columns",
                  value: `${formatNumber(dataset.columns.length)} (${formatNumber(numberColumns)} numeric)`,
                },
                { label: "Size", value: formatBytes(dataset.sizeBytes) },
                {
                  label: "SHA-256",
                  value: <code className="font-mono text-xs break-all text-zinc-700">{dataset.sha256}</code>,
                },
              ]}
            />
          </Card>
          <Card title="Danger zone" className="border-red-200">
            <DeleteDatasetButton modelName={dataset.modelName} id={dataset.id} name={dataset.name} />
          </Card>
        </div>
      </div>
    </div>
  );
}
