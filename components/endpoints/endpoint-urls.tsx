import type { EndpointUrls as Urls, ServedVersion } from "@/lib/serving/schemas";
import { CopyButton } from "@/components/ui/copy-button";
import type { ExampleUrls } from "./request-examples";

/**
 * Where a request for `target` goes. Plain URLs reach the Production version; a Staging-only
 * endpoint is reached by version number (KServe) or by the staging label (TF Serving).
 */
export function requestUrls(urls: Urls, modelName: string, target: ServedVersion): ExampleUrls {
  if (target.label === "production") return { kserve: urls.kserveInfer, tf: urls.tfPredict };
  const name = encodeURIComponent(modelName);
  return {
    kserve: `${urls.base}/v2/models/${name}/versions/${target.version}/infer`,
    tf: `${urls.base}/v1/models/${name}/labels/${target.label}:predict`,
  };
}

function UrlRow({ protocol, url, testId }: { protocol: string; url: string; testId: string }) {
  return (
    <div className="contents">
      <dt className="pt-1 text-zinc-500">{protocol}</dt>
      <dd className="flex min-w-0 items-start gap-1">
        <span className="mt-0.5 rounded bg-zinc-100 px-1 font-mono text-[11px] font-semibold text-zinc-600">POST</span>
        <code className="min-w-0 pt-0.5 font-mono text-xs break-all text-zinc-900" data-testid={testId}>
          {url}
        </code>
        <CopyButton value={url} label={`Copy the ${protocol} URL`} />
      </dd>
    </div>
  );
}

/** The inference URLs with copy buttons, and how to pin a version or label. */
export function EndpointUrls({ urls, modelName }: { urls: Urls; modelName: string }) {
  const name = encodeURIComponent(modelName);
  return (
    <div className="space-y-2">
      <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">
        <UrlRow protocol="KServe V2" url={urls.kserveInfer} testId="endpoint-url-kserve" />
        <UrlRow protocol="TF Serving" url={urls.tfPredict} testId="endpoint-url-tf" />
      </dl>
      <p className="text-xs text-zinc-500">
        These reach the Production version. Pin a version with{" "}
        <code className="font-mono">
          /v2/models/{name}/versions/<var>N</var>/infer
        </code>{" "}
        or{" "}
        <code className="font-mono">
          /v1/models/{name}/versions/<var>N</var>:predict
        </code>
        , or call Staging with <code className="font-mono">/v1/models/{name}/labels/staging:predict</code>.
      </p>
    </div>
  );
}
