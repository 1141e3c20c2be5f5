import Link from "next/link";
import type { ServedVersion, ServingLabel } from "@/lib/serving/schemas";
import { StageBadge } from "@/components/registry/stage-badge";
import { versionPath } from "@/components/paths";
import { cn } from "@/components/ui/cn";
import { EndpointStatusBadge } from "./endpoint-status";

export const LABEL_STAGE = { production: "PRODUCTION", staging: "STAGING" } as const satisfies Record<
  ServingLabel,
  "PRODUCTION" | "STAGING"
>;

/** The version plain requests go to: Production, else Staging (the API lists Production first). */
export function primaryVersion(versions: ServedVersion[]): ServedVersion | null {
  return versions.find((version) => version.label === "production") ?? versions[0] ?? null;
}

/**
 * The versions an endpoint serves, each with its label and how the replicas are doing with it. The
 * primary one's number carries `endpoint-version`, so tests can watch a promotion switch it.
 */
export function ServedVersions({
  modelName,
  versions,
  className,
}: {
  modelName: string;
  versions: ServedVersion[];
  className?: string;
}) {
  const primary = primaryVersion(versions);
  if (!primary) {
    return (
      <span data-testid="endpoint-version" data-version="" className={cn("text-sm text-zinc-400", className)}>
        None
      </span>
    );
  }
  return (
    <ul className={cn("space-y-1.5", className)}>
      {versions.map((served) => (
        <li
          key={served.versionId}
          data-testid="served-version"
          data-version={served.version}
          data-label={served.label}
          data-state={served.state}
          className="space-y-0.5"
        >
          <div className="flex flex-wrap items-center gap-1.5">
            <Link
              href={versionPath(modelName, served.version)}
              className="font-medium text-blue-700 hover:underline"
              data-testid={served === primary ? "endpoint-version" : undefined}
              data-version={served === primary ? served.version : undefined}
            >
              v{served.version}
            </Link>
            <StageBadge stage={LABEL_STAGE[served.label]} />
            {served.state !== "READY" && (
              <EndpointStatusBadge status={served.state} title={served.message ?? undefined} />
            )}
          </div>
          {served.message && served.state !== "UNAVAILABLE" && (
            <p className="max-w-xs text-xs break-words text-zinc-600">{served.message}</p>
          )}
        </li>
      ))}
    </ul>
  );
}
