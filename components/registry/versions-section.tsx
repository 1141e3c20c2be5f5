"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { Page, VersionSummary } from "@/lib/registry/schemas";
import { modelApiPath, modelPath } from "@/components/paths";
import { EmptyState } from "@/components/ui/empty-state";
import { Pagination, buildHref } from "@/components/ui/pagination";
import { usePolledResource } from "@/components/use-polled-resource";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { UploadDropzone } from "./upload-dropzone";
import { VersionTable } from "./version-table";

/** Fast while a version is being validated, so its status flips within ~1.5 s; slow otherwise. */
const PENDING_POLL_MS = 1500;
const IDLE_POLL_MS = 10_000;

function pollInterval(page: Page<VersionSummary>): number {
  return page.items.some((version) => version.status === "PENDING") ? PENDING_POLL_MS : IDLE_POLL_MS;
}

/** Shows a just-uploaded version at once instead of waiting for the next poll. */
function withNewVersion(page: Page<VersionSummary>, version: VersionSummary): Page<VersionSummary> {
  if (page.items.some((item) => item.id === version.id)) return page;
  return { ...page, items: [version, ...page.items].slice(0, page.pageSize), total: page.total + 1 };
}

export interface VersionsSectionProps {
  modelName: string;
  /** The server-rendered page of versions for the current `?page=`. */
  initialPage: Page<VersionSummary>;
}

/** Upload drop zone around the live versions table; polling keeps the current page. */
export function VersionsSection({ modelName, initialPage }: VersionsSectionProps) {
  const router = useRouter();
  const { page, pageSize } = initialPage;
  const versions = usePolledResource({
    url: buildHref(`${modelApiPath(modelName)}/versions`, { page, pageSize }),
    initial: initialPage,
    intervalFor: pollInterval,
  });

  function onUploaded(version: VersionSummary) {
    // Versions are listed newest first, so the new one is on page 1.
    if (page !== 1) {
      router.push(modelPath(modelName));
      return;
    }
    versions.setData((current) => withNewVersion(current, version));
    void versions.refresh();
  }

  const { items, total } = versions.data;
  return (
    <UploadDropzone modelName={modelName} onUploaded={onUploaded}>
      {items.length > 0 ? (
        <div className="space-y-3">
          <VersionTable versions={items} />
          <Pagination path={modelPath(modelName)} page={page} pageSize={pageSize} total={total} noun="versions" />
        </div>
      ) : total === 0 ? (
        <EmptyState
          title="No versions yet — drop an .onnx file here"
          description="Each upload becomes a new version. It is validated in the background, then it can move to Staging and Production."
        />
      ) : (
        <EmptyState
          title={`Page ${page} is past the last version`}
          action={
            <Link href={modelPath(modelName)} className="text-sm font-medium text-blue-700 hover:underline">
              Go to the newest versions
            </Link>
          }
        />
      )}
      <LiveUpdateError message={versions.error} />
    </UploadDropzone>
  );
}
