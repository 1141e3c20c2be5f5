"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { StageName, VersionDetail, VersionSummary } from "@/lib/registry/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { versionApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmActionButton } from "@/components/ui/confirm-dialog";

export interface StageActionsProps {
  modelName: string;
  version: number;
  stage: StageName;
  status: VersionSummary["status"];
  /** The model's current Production version (may be this one), for the promotion warning. */
  productionVersion: number | null;
}

/** Only Ready versions may enter Staging or Production; the server enforces the same rule. */
function notReadyReason(status: VersionSummary["status"]): string | undefined {
  if (status === "PENDING") return "Available once validation finishes: only Ready versions can be staged or promoted.";
  if (status === "FAILED") return "This version failed validation: only Ready versions can be staged or promoted.";
  return undefined;
}

export function StageActions({ modelName, version, stage, status, productionVersion }: StageActionsProps) {
  const router = useRouter();
  const [pendingStage, setPendingStage] = useState<StageName | null>(null);
  const [error, setError] = useState<string | null>(null);
  const blockedReason = notReadyReason(status);

  async function requestTransition(target: StageName, comment: string) {
    await apiFetch<VersionDetail>(`${versionApiPath(modelName, version)}/stage`, {
      method: "POST",
      json: { stage: target, comment },
    });
    router.refresh();
  }

  /** For the one-click transitions: errors show under the buttons. */
  async function moveNow(target: StageName) {
    setPendingStage(target);
    setError(null);
    try {
      await requestTransition(target, "");
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPendingStage(null);
    }
  }

  const busy = pendingStage !== null;
  const otherProduction = productionVersion !== null && productionVersion !== version ? productionVersion : null;

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        {stage !== "STAGING" && (
          <Button
            size="sm"
            onClick={() => moveNow("STAGING")}
            pending={pendingStage === "STAGING"}
            disabled={busy || blockedReason !== undefined}
            disabledReason={blockedReason}
            title="The version currently in Staging, if any, is archived."
            data-testid="promote-staging"
          >
            Move to Staging
          </Button>
        )}
        {stage !== "PRODUCTION" && (
          <ConfirmActionButton
            testId="promote-production"
            size="sm"
            variant="primary"
            disabled={busy || blockedReason !== undefined}
            disabledReason={blockedReason}
            title={`Promote v${version} to Production?`}
            description={
              otherProduction !== null ? (
                <>
                  Version <strong>v{otherProduction}</strong> is in Production now; it will be <strong>archived</strong>{" "}
                  and v{version} will serve Production traffic instead.
                </>
              ) : (
                <>No version is in Production yet; v{version} will become the Production version.</>
              )
            }
            confirmLabel="Promote to Production"
            commentLabel="Comment (optional)"
            onConfirm={(comment) => requestTransition("PRODUCTION", comment)}
          >
            Promote to Production
          </ConfirmActionButton>
        )}
        {stage === "PRODUCTION" ? (
          // Archiving the Production version leaves the model with nothing serving: confirm first.
          <ConfirmActionButton
            testId="archive-version"
            size="sm"
            disabled={busy}
            title={`Archive v${version}?`}
            description={
              <>
                v{version} is the Production version. Archiving it leaves the model with{" "}
                <strong>no Production version</strong> until another one is promoted.
              </>
            }
            confirmLabel="Archive"
            confirmVariant="danger"
            commentLabel="Comment (optional)"
            onConfirm={(comment) => requestTransition("ARCHIVED", comment)}
          >
            Archive
          </ConfirmActionButton>
        ) : (
          stage !== "ARCHIVED" && (
            <Button
              size="sm"
              onClick={() => moveNow("ARCHIVED")}
              pending={pendingStage === "ARCHIVED"}
              disabled={busy}
              data-testid="archive-version"
            >
              Archive
            </Button>
          )
        )}
        {(stage === "ARCHIVED" || stage === "STAGING") && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() => moveNow("NONE")}
            pending={pendingStage === "NONE"}
            disabled={busy}
            data-testid="restore-none"
          >
            Restore to None
          </Button>
        )}
      </div>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
