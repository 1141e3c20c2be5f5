import type { EndpointStatus } from "@/lib/serving/schemas";
import { Badge, type BadgeProps, type BadgeTone } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { Spinner } from "@/components/ui/spinner";

export const ENDPOINT_STATUS_LABEL: Record<EndpointStatus, string> = {
  NOT_DEPLOYED: "Not deployed",
  LOADING: "Loading",
  READY: "Ready",
  FAILED: "Failed",
  UNAVAILABLE: "Unavailable",
};

const STATUS_TONE: Record<EndpointStatus, BadgeTone> = {
  NOT_DEPLOYED: "muted",
  LOADING: "blue",
  READY: "green",
  FAILED: "red",
  UNAVAILABLE: "amber",
};

const MESSAGE_TONE: Record<EndpointStatus, string> = {
  NOT_DEPLOYED: "text-zinc-600",
  LOADING: "text-zinc-600",
  READY: "text-amber-800",
  FAILED: "text-red-700",
  UNAVAILABLE: "text-amber-800",
};

/** Endpoint, served-version and replica states share these words (a version state is an endpoint status). */
export function EndpointStatusBadge({
  status,
  ...rest
}: { status: EndpointStatus } & Omit<BadgeProps, "tone" | "children">) {
  return (
    <Badge tone={STATUS_TONE[status]} {...rest}>
      {status === "LOADING" && <Spinner />}
      {ENDPOINT_STATUS_LABEL[status]}
    </Badge>
  );
}

/** The badge with its explanation under it (and on hover); the test id and data-status cover both. */
export function EndpointStatusWithMessage({
  status,
  message,
  testId,
  className,
}: {
  status: EndpointStatus;
  message: string | null;
  testId?: string;
  className?: string;
}) {
  return (
    <div className={cn("space-y-1", className)} data-testid={testId} data-status={status}>
      <EndpointStatusBadge status={status} title={message ?? undefined} />
      {message && <p className={cn("max-w-md text-xs break-words", MESSAGE_TONE[status])}>{message}</p>}
    </div>
  );
}
