"use client";

import type { ReactNode } from "react";

/**
 * What every recharts chart in the dashboard shares: axis and tooltip styling, the chart frame and
 * its empty state. Charts render only in the browser (ResponsiveContainer measures first), so
 * server and client never disagree.
 */

export const CHART_COLORS = { grid: "#e4e4e7", axis: "#71717a" } as const;

/** Distinct, colour-blind-friendly series colours (Tableau 10), for one line or bar per series. */
export const SERIES_COLORS = [
  "#2563eb",
  "#d97706",
  "#059669",
  "#dc2626",
  "#7c3aed",
  "#0891b2",
  "#db2777",
  "#65a30d",
] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

export const CHART_HEIGHT = 240;

/** One line per series (a version, say): smooth, dotted where there are points, gaps bridged. */
export const SERIES_LINE_PROPS = {
  type: "monotone",
  strokeWidth: 1.75,
  dot: { r: 3 },
  connectNulls: true,
  isAnimationActive: false,
} as const;
export const AXIS_TICK = { fontSize: 11, fill: CHART_COLORS.axis };
export const LEGEND_STYLE = { fontSize: 12 };
export const TOOLTIP_PROPS = { contentStyle: { fontSize: 12, borderRadius: 6 }, separator: ": " } as const;

/** A rotated y-axis title (left, or right for a second axis). */
export const yLabel = (value: string, position: "insideLeft" | "insideRight" = "insideLeft") => ({
  value,
  angle: position === "insideLeft" ? -90 : 90,
  position,
  style: { fontSize: 11, fill: CHART_COLORS.axis, textAnchor: "middle" as const },
});

/** An x-axis title under the ticks. */
export const xLabel = (value: string) => ({
  value,
  position: "insideBottom" as const,
  offset: -8,
  style: AXIS_TICK,
});

/** A titled chart frame with a test id; `empty` replaces the chart with a note instead of blank axes. */
export function ChartCard({
  title,
  description,
  testId,
  empty,
  actions,
  height = CHART_HEIGHT,
  children,
}: {
  title: string;
  description: ReactNode;
  testId: string;
  empty?: string | null;
  /** Controls beside the title (e.g. a metric select). */
  actions?: ReactNode;
  height?: number;
  children: ReactNode;
}) {
  return (
    <figure
      className="min-w-0 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm"
      data-testid={testId}
      aria-label={title}
    >
      <figcaption className="mb-2 flex flex-wrap items-start justify-between gap-3">
        <div>
          <h3 className="text-sm font-semibold text-zinc-900">{title}</h3>
          <div className="text-xs text-zinc-500">{description}</div>
        </div>
        {actions}
      </figcaption>
      {empty ? (
        <div
          className="flex items-center justify-center rounded-md border border-dashed border-zinc-200 px-4 text-center text-sm text-zinc-500"
          style={{ height }}
        >
          {empty}
        </div>
      ) : (
        <div style={{ height }}>{children}</div>
      )}
    </figure>
  );
}
