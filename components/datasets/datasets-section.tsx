"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { DatasetDto } from "@/lib/datasets/schemas";
import type { Page } from "@/lib/registry/schemas";
import { DATASETS_PAGE_PARAM, datasetsApiPath, modelPath } from "@/components/paths";
import { EmptyState } from "@/components/ui/empty-state";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { Pagination, buildHref } from "@/components/ui/pagination";
import { usePolledResource } from "@/components/use-polled-resource";
import { DatasetTable } from "./dataset-table";
import { DatasetUploadDropzone } from "./dataset-upload-dropzone";

/** Datasets change only when someone uploads or deletes one, so a slow poll is enough. */
const POLL_MS = 30_000;

export interface DatasetsSectionProps {
  modelName: string;
  /** The server-rendered page of datasets for the current `?datasetsPage=`. */
  initialPage: Page<DatasetDto>;
}

/** The upload drop zone around the model's datasets table. */
export function DatasetsSection({ modelName, initialPage }: DatasetsSectionProps) {
  const router = useRouter();
  const { page, pageSize } = initialPage;
  const datasets = usePolledResource({
    url: buildHref(datasetsApiPath(modelName), { page, pageSize }),
    initial: initialPage,
    intervalFor: () => POLL_MS,
  });

  function onUploaded(dataset: DatasetDto) {
    // Datasets are listed newest first, so the new one is on page 1.
    if (page !== 1) {
      router.push(modelPath(modelName));
      return;
    }
    datasets.setData((current) =>
      current.items.some((item) => item.id === dataset.id)
        ? current
        : { ...current, items: [dataset, ...current.items].slice(0, pageSize), total: current.total + 1 },
    );
    void datasets.refresh();
  }

  const { items, total } = datasets.data;
  return (
    <section aria-labelledby="datasets-heading" className="space-y-3">
      <h2 id="datasets-heading" className="text-base font-semibold text-zinc-900">
        Datasets
      </h2>
      <DatasetUploadDropzone modelName={modelName} onUploaded={onUploaded}>
        {items.length > 0 ? (
          <div className="space-y-3">
            <DatasetTable datasets={items} />
            {total > pageSize && (
              <Pagination
                path={modelPath(modelName)}
                page={page}
                pageSize={pageSize}
                total={total}
                noun="datasets"
                pageParam={DATASETS_PAGE_PARAM}
              />
            )}
          </div>
        ) : total === 0 ? (
          <EmptyState
            title="No datasets yet"
            description="Upload a labelled CSV or JSON Lines file to evaluate versions on it."
          />
        ) : (
          <EmptyState
            title={`Page ${page} is past the last dataset`}
            action={
              <Link href={modelPath(modelName)} className="text-sm font-medium text-blue-700 hover:underline">
                Go to the newest datasets
              </Link>
            }
          />
        )}
        <LiveUpdateError message={datasets.error} />
      </DatasetUploadDropzone>
    </section>
  );
}
