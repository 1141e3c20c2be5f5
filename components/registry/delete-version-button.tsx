"use client";

import { useRouter } from "next/navigation";
import type { StageName } from "@/lib/registry/schemas";
import { apiFetch } from "@/components/api-client";
import { modelPath, versionApiPath } from "@/components/paths";
import { ConfirmActionButton } from "@/components/ui/confirm-dialog";

const PRODUCTION_REASON =
  "The Production version cannot be deleted. Promote another version or archive this one first.";

/** Deletes the version and its artifact, then returns to the model page. */
export function DeleteVersionButton({
  modelName,
  version,
  stage,
}: {
  modelName: string;
  version: number;
  stage: StageName;
}) {
  const router = useRouter();
  const inProduction = stage === "PRODUCTION";

  async function deleteVersion() {
    await apiFetch<void>(versionApiPath(modelName, version), { method: "DELETE" });
    router.push(modelPath(modelName));
  }

  return (
    <div className="flex flex-wrap items-center gap-3">
      <ConfirmActionButton
        testId="delete-version"
        variant="danger"
        size="sm"
        disabled={inProduction}
        disabledReason={PRODUCTION_REASON}
        title={`Delete version v${version}?`}
        description={
          <>
            The version, its artifact file, metrics and stage history are removed permanently. Versions derived from it
            keep working but lose their parent link. This cannot be undone.
          </>
        }
        confirmLabel="Delete version"
        confirmVariant="danger"
        onConfirm={deleteVersion}
      >
        Delete version
      </ConfirmActionButton>
      {inProduction && <p className="text-xs text-zinc-600">{PRODUCTION_REASON}</p>}
    </div>
  );
}
