import Link from "next/link";
import type { VersionDetail } from "@/lib/registry/schemas";
import { versionPath } from "@/components/paths";
import { FactList } from "@/components/ui/card";

type VersionRef = VersionDetail["children"][number];

/** "v3", or "other-model v3" when the related version lives in another model. */
function VersionRefLink({ target, currentModel }: { target: VersionRef; currentModel: string }) {
  return (
    <Link href={versionPath(target.modelName, target.version)} className="font-medium text-blue-700 hover:underline">
      {target.modelName === currentModel ? "" : `${target.modelName} `}v{target.version}
    </Link>
  );
}

function SourceDescription({ detail }: { detail: VersionDetail }) {
  if (detail.source === "UPLOAD") return <>Uploaded by {detail.createdBy}</>;
  const verb = detail.source === "CONVERT" ? "Converted from" : "Compressed from";
  if (!detail.parent) return <>{verb} a version that no longer exists</>;
  return (
    <>
      {verb} <VersionRefLink target={detail.parent} currentModel={detail.modelName} />
    </>
  );
}

export function Lineage({ detail }: { detail: VersionDetail }) {
  return (
    <FactList
      facts={[
        { label: "Source", value: <SourceDescription detail={detail} /> },
        {
          label: "Parent",
          value: detail.parent ? (
            <VersionRefLink target={detail.parent} currentModel={detail.modelName} />
          ) : (
            <span className="text-zinc-400">None</span>
          ),
        },
        {
          label: "Derived versions",
          value:
            detail.children.length === 0 ? (
              <span className="text-zinc-400">None</span>
            ) : (
              <ul className="flex flex-wrap gap-x-3 gap-y-1">
                {detail.children.map((child) => (
                  <li key={child.id}>
                    <VersionRefLink target={child} currentModel={detail.modelName} />
                  </li>
                ))}
              </ul>
            ),
        },
      ]}
    />
  );
}
