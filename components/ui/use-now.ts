"use client";

import { useSyncExternalStore } from "react";

/**
 * One shared one-second clock for every live timestamp and duration on the page, so a table of
 * 50 rows runs one timer instead of 50. The server snapshot is null: server HTML and the first
 * client render show the deterministic absolute time, then the client switches to relative
 * times without a hydration mismatch.
 */

const TICK_MS = 1000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function tick() {
  now = Date.now();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(tick, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const getSnapshot = () => now;
const getServerSnapshot = () => null;

/** The current time in ms, updated every second; null while rendering on the server or hydrating. */
export function useNow(): number | null {
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}
