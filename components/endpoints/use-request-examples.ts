"use client";

import { useEffect, useMemo, useState } from "react";
import type { Signature, VersionDetail } from "@/lib/registry/schemas";
import type { EndpointDto, ServedVersion } from "@/lib/serving/schemas";
import { apiFetch, errorMessage, isAbortError } from "@/components/api-client";
import { versionApiPath } from "@/components/paths";
import { requestUrls } from "./endpoint-urls";
import { buildRequestExamples, type RequestExamples } from "./request-examples";
import { primaryVersion } from "./served-versions";

/** A version's signature as the server rendered it (null: the version has none). */
export interface VersionSignature {
  version: number;
  signature: Signature | null;
}

export type RequestExamplesState =
  | { kind: "none" }
  | { kind: "loading"; target: ServedVersion }
  | { kind: "error"; target: ServedVersion; message: string }
  | { kind: "unavailable"; target: ServedVersion; message: string }
  | { kind: "ready"; target: ServedVersion; examples: RequestExamples };

/**
 * Examples for the version plain requests reach. When a promotion switches that version, its
 * signature is fetched, so the examples follow the endpoint rather than the page load.
 */
export function useRequestExamples(endpoint: EndpointDto, initial: VersionSignature | null): RequestExamplesState {
  const target = primaryVersion(endpoint.versions);
  const wanted = target?.version ?? null;
  const [fetched, setFetched] = useState<VersionSignature | null>(null);
  const [failure, setFailure] = useState<{ version: number; message: string } | null>(null);
  const known = [initial, fetched].find((candidate) => candidate?.version === wanted) ?? null;
  const needsFetch = wanted !== null && known === null;

  useEffect(() => {
    if (!needsFetch) return;
    const controller = new AbortController();
    apiFetch<VersionDetail>(versionApiPath(endpoint.modelName, wanted), { signal: controller.signal })
      .then((detail) => setFetched({ version: wanted, signature: detail.signature }))
      .catch((caught: unknown) => {
        if (!isAbortError(caught)) setFailure({ version: wanted, message: errorMessage(caught) });
      });
    return () => controller.abort();
  }, [endpoint.modelName, wanted, needsFetch]);

  const signature = known?.signature ?? null;
  const built = useMemo(
    () =>
      target && signature
        ? buildRequestExamples(signature, requestUrls(endpoint.urls, endpoint.modelName, target))
        : null,
    [target, signature, endpoint.urls, endpoint.modelName],
  );

  if (!target) return { kind: "none" };
  if (known === null) {
    return failure?.version === target.version
      ? { kind: "error", target, message: failure.message }
      : { kind: "loading", target };
  }
  if (!built) {
    return {
      kind: "unavailable",
      target,
      message: `v${target.version} has no recorded inputs and outputs, so no example request can be built.`,
    };
  }
  return built.ok
    ? { kind: "ready", target, examples: built.examples }
    : { kind: "unavailable", target, message: `No example for v${target.version}: ${built.reason}.` };
}
