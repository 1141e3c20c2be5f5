"use client";

import { useRouter } from "next/navigation";
import type { VersionDetail } from "@/lib/registry/schemas";
import { versionApiPath } from "@/components/paths";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { usePolledResource } from "@/components/use-polled-resource";
import { StatusWithMessage } from "./status-badge";

const PENDING_POLL_MS = 1500;

/**
 * The version's status, polled only while validation runs. When it settles the whole page is
 * refreshed from the server, since validation also fills in the signature, opset and metrics.
 */
export function VersionStatusLive({ detail }: { detail: VersionDetail }) {
  const router = useRouter();
  const { data, error } = usePolledResource({
    url: versionApiPath(detail.modelName, detail.version),
    initial: detail,
    intervalFor: (current) => (current.status === "PENDING" ? PENDING_POLL_MS : null),
    onData: (next) => {
      if (next.status !== "PENDING") router.refresh();
    },
  });

  return (
    <div className="space-y-1">
      <StatusWithMessage status={data.status} statusMessage={data.statusMessage} testId="version-status" />
      {data.status === "PENDING" && (
        <p className="text-xs text-zinc-500">Validating the file; this updates by itself.</p>
      )}
      <LiveUpdateError message={error} />
    </div>
  );
}
