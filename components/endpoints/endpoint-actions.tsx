"use client";

import { useState } from "react";
import type { EndpointDto } from "@/lib/serving/schemas";
import { apiFetch, errorMessage } from "@/components/api-client";
import { endpointApiPath } from "@/components/paths";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmActionButton } from "@/components/ui/confirm-dialog";

/**
 * Deploy or Undeploy, whichever applies. The answer is the updated endpoint, handed to `onChange`
 * so the panel shows it at once instead of at the next poll.
 */
export function EndpointActions({
  endpoint,
  onChange,
}: {
  endpoint: EndpointDto;
  onChange: (endpoint: EndpointDto) => void;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = endpointApiPath(endpoint.modelName);

  async function deploy() {
    setPending(true);
    setError(null);
    try {
      onChange(await apiFetch<EndpointDto>(path, { method: "POST" }));
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  async function undeploy() {
    onChange(await apiFetch<EndpointDto>(path, { method: "DELETE" }));
  }

  return (
    <div className="space-y-2">
      {endpoint.deployed ? (
        <ConfirmActionButton
          testId="undeploy-endpoint"
          size="sm"
          title={`Undeploy ${endpoint.modelName}?`}
          description={
            <>
              The replicas stop serving this model, and requests to its URLs fail with 404. Settings are kept, and
              promoting a version does <strong>not</strong> deploy it again: use Deploy for that.
            </>
          }
          confirmLabel="Undeploy"
          confirmVariant="danger"
          onConfirm={undeploy}
        >
          Undeploy
        </ConfirmActionButton>
      ) : (
        <Button size="sm" variant="primary" pending={pending} onClick={deploy} data-testid="deploy-endpoint">
          Deploy
        </Button>
      )}
      {error && !endpoint.deployed && <Alert>{error}</Alert>}
    </div>
  );
}
