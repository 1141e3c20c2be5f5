"use client";

import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * The dashboard's own origin (e.g. "http://127.0.0.1:3000") for copyable API examples. Empty while
 * rendering on the server, which cannot know the address the browser used.
 */
export function usePageOrigin(): string {
  return useSyncExternalStore(
    noSubscription,
    () => window.location.origin,
    () => "",
  );
}
