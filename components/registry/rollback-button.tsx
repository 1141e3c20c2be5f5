"use client";

import { useRouter } from "next/navigation";
import type { VersionDetail } from "@/lib/registry/schemas";
import { apiFetch } from "@/components/api-client";
import { modelApiPath } from "@/components/paths";
import { ConfirmActionButton } from "@/components/ui/confirm-dialog";

/** Restores the previous Production version; the server answers 409 when there is none. */
export function RollbackButton({ modelName, productionVersion }: { modelName: string; productionVersion: number }) {
  const router = useRouter();

  async function rollback(comment: string) {
    await apiFetch<VersionDetail>(`${modelApiPath(modelName)}/rollback`, { method: "POST", json: { comment } });
    router.refresh();
  }

  return (
    <ConfirmActionButton
      testId="rollback-button"
      size="sm"
      title="Roll back Production"
      description={
        <>
          Version v{productionVersion} will be archived and the version that was in Production before it becomes
          Production again. Serving switches immediately.
        </>
      }
      confirmLabel="Roll back"
      confirmVariant="danger"
      commentLabel="Comment (optional)"
      onConfirm={rollback}
    >
      Roll back
    </ConfirmActionButton>
  );
}
