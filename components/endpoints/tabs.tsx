"use client";

import { useRef, type KeyboardEvent } from "react";
import { cn } from "@/components/ui/cn";

export interface TabOption<T extends string> {
  value: T;
  label: string;
}

/**
 * A row of tabs following the WAI-ARIA tabs pattern: one tab stop, arrow keys move between tabs.
 * The caller renders the panel with `id={panelId}` and `aria-labelledby={tabId(idPrefix, value)}`.
 */
export function Tabs<T extends string>({
  label,
  idPrefix,
  panelId,
  options,
  value,
  onChange,
  testId,
}: {
  label: string;
  idPrefix: string;
  panelId: string;
  options: readonly TabOption<T>[];
  value: T;
  onChange: (value: T) => void;
  testId?: string;
}) {
  const listRef = useRef<HTMLDivElement>(null);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = options.findIndex((option) => option.value === value);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0 || index < 0) return;
    event.preventDefault();
    const next = options[(index + step + options.length) % options.length]!;
    onChange(next.value);
    listRef.current?.querySelector<HTMLButtonElement>(`#${CSS.escape(tabId(idPrefix, next.value))}`)?.focus();
  }

  return (
    <div
      ref={listRef}
      role="tablist"
      aria-label={label}
      onKeyDown={onKeyDown}
      data-testid={testId}
      className="inline-flex rounded-md bg-zinc-100 p-0.5"
    >
      {options.map((option) => {
        const selected = option.value === value;
        return (
          <button
            key={option.value}
            id={tabId(idPrefix, option.value)}
            type="button"
            role="tab"
            aria-selected={selected}
            aria-controls={panelId}
            tabIndex={selected ? 0 : -1}
            onClick={() => onChange(option.value)}
            className={cn(
              "rounded px-2.5 py-1 text-xs font-medium transition-colors focus-visible:outline-2 focus-visible:outline-blue-600",
              selected ? "bg-white text-zinc-900 shadow-sm" : "text-zinc-600 hover:text-zinc-900",
            )}
          >
            {option.label}
          </button>
        );
      })}
    </div>
  );
}

export const tabId = (idPrefix: string, value: string) => `${idPrefix}-tab-${value}`;
