import type { VersionDetail } from "@/lib/registry/schemas";
import { artifactApiPath } from "@/components/paths";
import { buttonClasses } from "@/components/ui/button";
import { FactList } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { formatBytes, formatNumber } from "@/components/ui/format";

const UNKNOWN = <span className="text-zinc-400">—</span>;

/** File and graph facts for one version, with the checksum to copy and the artifact to download. */
export function ModelInfo({ detail }: { detail: VersionDetail }) {
  return (
    <div className="space-y-4">
      <FactList
        facts={[
          { label: "Format", value: detail.format },
          { label: "Opset", value: detail.opset ?? UNKNOWN },
          { label: "Producer", value: detail.producer || UNKNOWN },
          {
            label: "Parameters",
            value:
              detail.parameterCount === null ? (
                UNKNOWN
              ) : (
                <span className="tabular-nums">{formatNumber(detail.parameterCount)}</span>
              ),
          },
          {
            label: "Size",
            value: (
              <span title={`${formatNumber(detail.sizeBytes)} bytes`} className="tabular-nums">
                {formatBytes(detail.sizeBytes)}
              </span>
            ),
          },
          {
            label: "SHA-256",
            value: (
              <span className="flex items-start gap-1">
                <code className="min-w-0 font-mono text-xs break-all text-zinc-800" data-testid="version-sha256">
                  {detail.sha256}
                </code>
                <CopyButton value={detail.sha256} label="Copy SHA-256" />
              </span>
            ),
          },
          { label: "Original file", value: <span className="break-all">{detail.originalFilename || UNKNOWN}</span> },
        ]}
      />
      <a
        href={artifactApiPath(detail.modelName, detail.version)}
        download={detail.originalFilename || undefined}
        className={buttonClasses("secondary", "sm")}
        data-testid="download-artifact"
      >
        Download artifact
      </a>
    </div>
  );
}
