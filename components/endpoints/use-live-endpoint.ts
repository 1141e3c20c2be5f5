"use client";

import type { EndpointDto } from "@/lib/serving/schemas";
import { endpointApiPath } from "@/components/paths";
import { usePolledResource, type PolledResource } from "@/components/use-polled-resource";

/** Often enough that a promotion, a replica loading a version or a failure shows within a couple of seconds. */
export const ENDPOINT_POLL_MS = 2000;

export function useLiveEndpoint(initial: EndpointDto): PolledResource<EndpointDto> {
  return usePolledResource({
    url: endpointApiPath(initial.modelName),
    initial,
    intervalFor: () => ENDPOINT_POLL_MS,
  });
}
