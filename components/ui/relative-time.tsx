"use client";

import { formatAbsoluteTime, formatRelativeTime } from "./format";
import { useNow } from "./use-now";

/** "3 minutes ago" that stays current, with the exact UTC time in the tooltip. */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const now = useNow();
  const absolute = formatAbsoluteTime(iso);
  return (
    <time dateTime={iso} title={absolute} className={className}>
      {now === null ? absolute : formatRelativeTime(iso, now)}
    </time>
  );
}
