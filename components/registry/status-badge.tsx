import type { VersionSummary } from "@/lib/registry/schemas";
import { Badge, type BadgeProps, type BadgeTone } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/spinner";

type VersionStatus = VersionSummary["status"];

export const STATUS_LABEL: Record<VersionStatus, string> = {
  PENDING: "Validating",
  READY: "Ready",
  FAILED: "Failed",
};

const STATUS_TONE: Record<VersionStatus, BadgeTone> = {
  PENDING: "blue",
  READY: "green",
  FAILED: "red",
};

export function StatusBadge({ status, ...rest }: { status: VersionStatus } & Omit<BadgeProps, "tone" | "children">) {
  return (
    <Badge tone={STATUS_TONE[status]} {...rest}>
      {status === "PENDING" && <Spinner />}
      {STATUS_LABEL[status]}
    </Badge>
  );
}

/** The badge plus, for failed versions, why validation failed (the test id covers both). */
export function StatusWithMessage({
  status,
  statusMessage,
  testId,
}: {
  status: VersionStatus;
  statusMessage: string | null;
  testId?: string;
}) {
  return (
    <div className="space-y-1" data-testid={testId} data-status={status}>
      <StatusBadge status={status} />
      {status === "FAILED" && statusMessage && (
        <p className="max-w-xs text-xs break-words text-red-700">{statusMessage}</p>
      )}
    </div>
  );
}
