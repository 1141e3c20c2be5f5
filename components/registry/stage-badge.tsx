import Link from "next/link";
import type { StageName } from "@/lib/registry/schemas";
import { Badge, type BadgeProps, type BadgeTone } from "@/components/ui/badge";
import { versionPath } from "@/components/paths";

export const STAGE_LABEL: Record<StageName, string> = {
  NONE: "None",
  STAGING: "Staging",
  PRODUCTION: "Production",
  ARCHIVED: "Archived",
};

const STAGE_TONE: Record<StageName, BadgeTone> = {
  NONE: "muted",
  STAGING: "amber",
  PRODUCTION: "green",
  ARCHIVED: "neutral",
};

export function StageBadge({ stage, ...rest }: { stage: StageName } & Omit<BadgeProps, "tone" | "children">) {
  return (
    <Badge tone={STAGE_TONE[stage]} {...rest}>
      {STAGE_LABEL[stage]}
    </Badge>
  );
}

/** The version holding a stage as a colored "v3" pill linking to it; a dash when no version holds it. */
export function StageVersionBadge({
  modelName,
  stage,
  version,
}: {
  modelName: string;
  stage: "PRODUCTION" | "STAGING";
  version: number | null;
}) {
  if (version === null) {
    return (
      <span className="text-zinc-400" aria-label={`No version in ${STAGE_LABEL[stage]}`}>
        —
      </span>
    );
  }
  return (
    <Link
      href={versionPath(modelName, version)}
      title={`Version ${version} is in ${STAGE_LABEL[stage]}`}
      className="hover:opacity-80"
    >
      <Badge tone={STAGE_TONE[stage]}>v{version}</Badge>
    </Link>
  );
}
