"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { apiFetch, errorMessage, isAbortError } from "./api-client";

export interface PolledResourceOptions<T> {
  /** The API URL to poll (includes pagination and filters). */
  url: string;
  /** Server-rendered data: shown first, and adopted again whenever the server renders anew. */
  initial: T;
  /** How long to wait before the next poll given the current data; null stops polling. */
  intervalFor: (data: T) => number | null;
  /** Called with each freshly fetched value (e.g. to refresh the page once a status settles). */
  onData?: (data: T) => void;
}

export interface PolledResource<T> {
  data: T;
  /** Why the last poll failed; the previous data stays on screen and polling continues. */
  error: string | null;
  /** Fetches now instead of waiting for the next tick. */
  refresh: () => Promise<void>;
  /** Replaces the data locally (optimistic updates); the next poll confirms or corrects it. */
  setData: (update: (data: T) => T) => void;
}

/**
 * Keeps server-rendered data fresh by polling a JSON endpoint. Polls are sequential (the next is
 * scheduled when the previous settles), skipped while the tab is hidden, and aborted when the
 * URL changes, so a slow response for page 1 can never overwrite page 2.
 */
export function usePolledResource<T>({
  url,
  initial,
  intervalFor,
  onData,
}: PolledResourceOptions<T>): PolledResource<T> {
  const [state, setState] = useState({ initial, url, data: initial });
  const [error, setError] = useState<string | null>(null);

  // New server-rendered props (navigation or router.refresh()) win over what polling fetched before.
  if (state.initial !== initial || state.url !== url) setState({ initial, url, data: initial });
  const data = state.initial === initial && state.url === url ? state.data : initial;

  const onDataRef = useRef(onData);
  useEffect(() => {
    onDataRef.current = onData;
  });

  const latestRequest = useRef(0);
  const load = useCallback(
    async (signal?: AbortSignal) => {
      const requestId = ++latestRequest.current;
      try {
        const next = await apiFetch<T>(url, { signal });
        // An older request that finished late must not overwrite a newer answer.
        if (requestId !== latestRequest.current) return;
        setState((current) => (current.url === url ? { ...current, data: next } : current));
        setError(null);
        onDataRef.current?.(next);
      } catch (caught) {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      }
    },
    [url],
  );

  const intervalMs = intervalFor(data);

  useEffect(() => {
    if (intervalMs === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      timer = setTimeout(async () => {
        if (document.visibilityState === "visible") await load(controller.signal);
        if (!controller.signal.aborted) schedule();
      }, intervalMs);
    };
    // Catch up as soon as the user comes back to the tab.
    const onVisible = () => {
      if (document.visibilityState === "visible") void load(controller.signal);
    };
    document.addEventListener("visibilitychange", onVisible);
    schedule();
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [intervalMs, load]);

  const refresh = useCallback(() => load(), [load]);
  const setData = useCallback((update: (data: T) => T) => {
    setState((current) => ({ ...current, data: update(current.data) }));
  }, []);

  return { data, error, refresh, setData };
}
