import "server-only";
import { AppError } from "@/lib/errors";
import { getVersion } from "@/lib/registry";
import { getEndpoint } from "@/lib/serving/deployments";
import type { EndpointDto } from "@/lib/serving/schemas";
import { primaryVersion } from "@/components/endpoints/served-versions";
import type { VersionSignature } from "@/components/endpoints/use-request-examples";

/**
 * The endpoint and the signature of the version plain requests reach, which the request examples
 * are built from. A version deleted in between just leaves the signature for the browser to fetch.
 */
export async function loadEndpoint(
  modelName: string,
): Promise<{ endpoint: EndpointDto; signature: VersionSignature | null }> {
  const endpoint = await getEndpoint(modelName);
  const primary = primaryVersion(endpoint.versions);
  if (!primary) return { endpoint, signature: null };
  try {
    const detail = await getVersion(modelName, primary.version);
    return { endpoint, signature: { version: detail.version, signature: detail.signature } };
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return { endpoint, signature: null };
    throw error;
  }
}
