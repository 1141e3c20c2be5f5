import Link from "next/link";
import type { ModelSummary } from "@/lib/registry/schemas";
import { buildHref } from "@/components/ui/pagination";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { TagList } from "@/components/ui/tag-list";
import { formatNumber } from "@/components/ui/format";
import { modelPath, versionPath } from "@/components/paths";
import { StageVersionBadge } from "./stage-badge";

function VersionLink({ modelName, version }: { modelName: string; version: number | null }) {
  if (version === null) return <span className="text-zinc-400">—</span>;
  return (
    <Link href={versionPath(modelName, version)} className="font-medium text-blue-700 hover:underline">
      v{version}
    </Link>
  );
}

export function ModelTable({ models }: { models: ModelSummary[] }) {
  return (
    <Table aria-label="Models">
      <THead>
        <tr>
          <Th>Name</Th>
          <Th className="hidden lg:table-cell">Description</Th>
          <Th className="hidden md:table-cell">Tags</Th>
          <Th>Latest</Th>
          <Th>Production</Th>
          <Th className="hidden sm:table-cell">Staging</Th>
          <Th className="text-right">Versions</Th>
          <Th className="hidden md:table-cell">Updated</Th>
        </tr>
      </THead>
      <TBody>
        {models.map((model) => (
          <Tr key={model.id} data-testid="model-row" data-model-name={model.name}>
            <Td className="font-medium">
              <Link href={modelPath(model.name)} className="text-blue-700 hover:underline">
                {model.name}
              </Link>
            </Td>
            <Td className="hidden max-w-sm lg:table-cell">
              {model.description ? (
                <p className="line-clamp-2 text-zinc-600" title={model.description}>
                  {model.description}
                </p>
              ) : (
                <span className="text-zinc-400">—</span>
              )}
            </Td>
            <Td className="hidden md:table-cell">
              <TagList tags={model.tags} hrefFor={(tag) => buildHref("/models", { tag })} />
            </Td>
            <Td>
              <VersionLink modelName={model.name} version={model.latestVersion} />
            </Td>
            <Td>
              <StageVersionBadge modelName={model.name} stage="PRODUCTION" version={model.productionVersion} />
            </Td>
            <Td className="hidden sm:table-cell">
              <StageVersionBadge modelName={model.name} stage="STAGING" version={model.stagingVersion} />
            </Td>
            <Td className="text-right tabular-nums">{formatNumber(model.versionCount)}</Td>
            <Td className="hidden whitespace-nowrap text-zinc-600 md:table-cell">
              <RelativeTime iso={model.updatedAt} />
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
