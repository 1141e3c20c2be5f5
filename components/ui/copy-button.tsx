"use client";

import { useEffect, useState } from "react";
import { Button } from "./button";

type CopyState = "idle" | "copied" | "failed";

const LABEL: Record<CopyState, string> = { idle: "Copy", copied: "Copied", failed: "Copy failed" };

/** Copies `value` to the clipboard and confirms for a moment; the result is announced to screen readers. */
export function CopyButton({ value, label = "Copy to clipboard" }: { value: string; label?: string }) {
  const [state, setState] = useState<CopyState>("idle");

  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 1500);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      // Clipboard access needs a secure context (https or localhost) and permission.
      setState("failed");
    }
  }

  return (
    <Button size="sm" variant="ghost" aria-label={label} onClick={copy} className="text-zinc-600">
      <span aria-live="polite">{LABEL[state]}</span>
    </Button>
  );
}
