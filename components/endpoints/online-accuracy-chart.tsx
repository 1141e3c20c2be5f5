"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { OnlineAccuracyBucket, OnlineAccuracySeries } from "@/lib/serving/schemas";
import { formatNumber } from "@/components/ui/format";
import {
  AXIS_TICK,
  CHART_COLORS,
  LEGEND_STYLE,
  SERIES_LINE_PROPS,
  TOOLTIP_PROPS,
  seriesColor,
  yLabel,
} from "@/components/ui/chart";
import { formatRatio } from "./format";

/** How online predictions are scored: accuracy for classifiers, mean absolute error for regressors. */
export type OnlineMetric = "accuracy" | "mae";

export interface OnlineAccuracyRow {
  time: number;
  /** Labelled predictions in the period, all versions together. */
  labelled: number;
  /** Per version: `v3` is the metric (accuracy in %, or MAE), `v3Labelled` the labels behind it. */
  [versionKey: string]: number | null;
}

export const versionKey = (version: number) => `v${version}`;

/** One row per period, with a column per version, for recharts. */
export function onlineAccuracyRows(series: OnlineAccuracySeries, metric: OnlineMetric): OnlineAccuracyRow[] {
  const rows = new Map<number, OnlineAccuracyRow>();
  for (const point of series.points) {
    const time = Date.parse(point.start);
    const row = rows.get(time) ?? { time, labelled: 0 };
    row.labelled += point.labelled;
    const value = metric === "accuracy" ? point.accuracy : point.meanAbsoluteError;
    row[versionKey(point.version)] = value === null ? null : metric === "accuracy" ? value * 100 : value;
    row[`${versionKey(point.version)}Labelled`] = point.labelled;
    rows.set(time, row);
  }
  return [...rows.values()].sort((a, b) => a.time - b.time);
}

const hourFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
// Days are UTC days (that is how they are counted), so they are labelled in UTC too.
const dayFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

export function periodLabel(time: number, bucket: OnlineAccuracyBucket): string {
  return bucket === "day" ? `${dayFormat.format(time)} (UTC)` : `${hourFormat.format(time)}, 1 hour`;
}

/** Round times across the window: every 12 hours for hourly points, every 5 days for daily ones. */
function windowTicks(from: number, to: number, bucket: OnlineAccuracyBucket): number[] {
  const every = (bucket === "day" ? 5 * 24 : 12) * 3600_000;
  const ticks: number[] = [];
  for (let tick = Math.ceil(from / every) * every; tick < to; tick += every) ticks.push(tick);
  return ticks;
}

const formatMetric = (value: number, metric: OnlineMetric) =>
  metric === "accuracy" ? formatRatio(value / 100) : formatNumber(Number(value.toPrecision(4)));

export function OnlineAccuracyChart({
  rows,
  versions,
  bucket,
  metric,
  stepSeconds,
  from,
  to,
}: {
  rows: OnlineAccuracyRow[];
  versions: number[];
  bucket: OnlineAccuracyBucket;
  metric: OnlineMetric;
  stepSeconds: number;
  from: string;
  to: string;
}) {
  const barWidthMs = stepSeconds * 1000;
  const start = Date.parse(from);
  const end = Date.parse(to);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={rows} margin={{ top: 4, right: 4, bottom: 0, left: 4 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} strokeDasharray="3 3" />
        <XAxis
          dataKey="time"
          type="number"
          scale="time"
          // The whole window, so a single labelled hour does not fill the chart's width.
          domain={[start - barWidthMs / 2, end - barWidthMs / 2]}
          ticks={windowTicks(start, end, bucket)}
          tickFormatter={(time: number) => (bucket === "day" ? dayFormat.format(time) : hourFormat.format(time))}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
        />
        <YAxis
          yAxisId="metric"
          domain={metric === "accuracy" ? [0, 100] : [0, "auto"]}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
          width={56}
          tickFormatter={(value: number) => (metric === "accuracy" ? `${value}%` : formatNumber(value))}
          label={yLabel(metric === "accuracy" ? "accuracy (%)" : "mean absolute error")}
        />
        <YAxis
          yAxisId="labelled"
          orientation="right"
          allowDecimals={false}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
          width={56}
          label={yLabel("labelled predictions", "insideRight")}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(time) => periodLabel(Number(time), bucket)}
          formatter={(value, name, item) => {
            if (name === "Labelled predictions") return formatNumber(Number(value));
            const labelled = (item.payload as OnlineAccuracyRow)[`${item.dataKey as string}Labelled`] ?? 0;
            return `${formatMetric(Number(value), metric)} (${formatNumber(labelled)} labelled)`;
          }}
        />
        <Legend wrapperStyle={LEGEND_STYLE} />
        <Bar
          yAxisId="labelled"
          dataKey="labelled"
          name="Labelled predictions"
          fill="#d4d4d8"
          maxBarSize={24}
          isAnimationActive={false}
        />
        {versions.map((version, index) => (
          <Line
            key={version}
            {...SERIES_LINE_PROPS}
            yAxisId="metric"
            dataKey={versionKey(version)}
            name={`v${version} ${metric === "accuracy" ? "accuracy" : "MAE"}`}
            stroke={seriesColor(index)}
          />
        ))}
      </ComposedChart>
    </ResponsiveContainer>
  );
}
