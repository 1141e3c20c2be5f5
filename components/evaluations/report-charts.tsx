"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { ClassificationReport } from "@/lib/evaluate";
import {
  AXIS_TICK,
  CHART_COLORS,
  LEGEND_STYLE,
  SERIES_LINE_PROPS,
  TOOLTIP_PROPS,
  seriesColor,
  xLabel,
  yLabel,
} from "@/components/ui/chart";
import { formatScore } from "./report";

/** Evaluation charts (recharts): per-class F1 bars and a metric across versions. */

export interface PerClassSeries {
  /** Legend name, e.g. "v3". */
  name: string;
  report: ClassificationReport;
}

/** F1 per class, one bar per series in each class group (one series on a version page). */
export function PerClassF1Chart({ series }: { series: PerClassSeries[] }) {
  const classes = series[0]?.report.perClass ?? [];
  const data = classes.map((metrics, index) => ({
    name: metrics.name,
    ...Object.fromEntries(series.map((entry, s) => [`s${s}`, entry.report.perClass[index]?.f1 ?? null])),
    support: metrics.support,
  }));
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data} margin={{ top: 4, right: 12, bottom: 12, left: 4 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="name" type="category" tick={AXIS_TICK} stroke={CHART_COLORS.axis} label={xLabel("class")} />
        <YAxis
          domain={[0, 1]}
          ticks={[0, 0.25, 0.5, 0.75, 1]}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
          width={56}
          label={yLabel("F1 (0–1)")}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(name) => `Class ${String(name)}`}
          formatter={(f1) => formatScore(typeof f1 === "number" ? f1 : null)}
        />
        {series.length > 1 && <Legend wrapperStyle={LEGEND_STYLE} verticalAlign="top" />}
        {series.map((entry, s) => (
          <Bar key={entry.name} dataKey={`s${s}`} name={entry.name} fill={seriesColor(s)} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

export interface VersionMetricPoint {
  version: number;
  /** Series key → value; a version not evaluated on a dataset has no key for it. */
  [series: string]: number;
}

/**
 * A metric per version, one line per dataset. The Production version gets a dashed reference
 * line so "is the new version better than what serves traffic" reads at a glance.
 */
export function VersionMetricChart({
  points,
  series,
  metricLabel,
  productionVersion,
}: {
  points: VersionMetricPoint[];
  series: { key: string; name: string }[];
  metricLabel: string;
  productionVersion: number | null;
}) {
  const versions = points.map((point) => point.version);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 16, right: 16, bottom: 12, left: 4 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} strokeDasharray="3 3" />
        <XAxis
          dataKey="version"
          type="number"
          domain={["dataMin", "dataMax"]}
          ticks={versions}
          allowDecimals={false}
          padding={{ left: 16, right: 16 }}
          tickFormatter={(version: number) => `v${version}`}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
          label={xLabel("version")}
        />
        <YAxis
          domain={["auto", "auto"]}
          // Room above and below, so a line at the extreme value does not sit on the frame.
          padding={{ top: 12, bottom: 12 }}
          tick={AXIS_TICK}
          stroke={CHART_COLORS.axis}
          width={64}
          tickFormatter={(value: number) => formatScore(value)}
          label={yLabel(metricLabel)}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(version) =>
            `v${String(version)}${Number(version) === productionVersion ? " (Production)" : ""}`
          }
          formatter={(value) => formatScore(typeof value === "number" ? value : null)}
        />
        <Legend wrapperStyle={LEGEND_STYLE} verticalAlign="top" />
        {productionVersion !== null && versions.includes(productionVersion) && (
          <ReferenceLine
            x={productionVersion}
            stroke="#059669"
            strokeDasharray="4 3"
            label={{ value: "Production", position: "top", fontSize: 11, fill: "#059669" }}
          />
        )}
        {series.map((entry, index) => (
          <Line
            {...SERIES_LINE_PROPS}
            key={entry.key}
            dataKey={entry.key}
            name={entry.name}
            stroke={seriesColor(index)}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
