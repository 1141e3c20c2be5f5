"use client";

import {
  Area,
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type DotItemDotProps,
} from "recharts";
import type { EndpointRange, EndpointSeries } from "@/lib/serving/schemas";
import { formatNumber } from "@/components/ui/format";
import { AXIS_TICK, CHART_COLORS, LEGEND_STYLE, TOOLTIP_PROPS, xLabel, yLabel } from "@/components/ui/chart";
import { formatMs, formatRate, formatStep } from "./format";

/**
 * The endpoint page's charts (recharts). Times are shown in the viewer's time zone.
 */

const COLORS = {
  p50: "#2563eb",
  p95: "#d97706",
  p99: "#dc2626",
  throughput: "#2563eb",
  errors: "#dc2626",
  batches: "#4f46e5",
  ...CHART_COLORS,
} as const;

/** Tick spacing per range: a handful of round clock times across the axis. */
const TICK_EVERY_MS: Record<EndpointRange, number> = {
  "15m": 3 * 60_000,
  "1h": 10 * 60_000,
  "24h": 4 * 3600_000,
};

const clockFormat = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const secondsFormat = new Intl.DateTimeFormat("en-US", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const dayFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

export interface ChartPoint {
  time: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  requestsPerSecond: number;
  errors: number;
  requests: number;
}

export function chartPoints(series: EndpointSeries): ChartPoint[] {
  return series.points.map((point) => ({
    time: Date.parse(point.start),
    p50Ms: point.p50Ms,
    p95Ms: point.p95Ms,
    p99Ms: point.p99Ms,
    requestsPerSecond: point.requestsPerSecond,
    errors: point.errors,
    requests: point.requests,
  }));
}

function timeTicks(points: ChartPoint[], range: EndpointRange): number[] {
  if (points.length === 0) return [];
  const every = TICK_EVERY_MS[range];
  const first = points[0]!.time;
  const last = points.at(-1)!.time;
  const ticks: number[] = [];
  for (let tick = Math.ceil(first / every) * every; tick <= last; tick += every) ticks.push(tick);
  return ticks;
}

/** The step a point covers, e.g. "14:05:10 – 14:05:20", for tooltips. */
function stepLabel(time: number, range: EndpointRange, stepSeconds: number): string {
  const format = range === "24h" ? dayFormat : range === "15m" ? secondsFormat : clockFormat;
  const end = range === "24h" ? clockFormat : format;
  return `${format.format(time)} – ${end.format(time + stepSeconds * 1000)}`;
}

/** Called as a function, not used as <TimeAxis>, so the chart sees an XAxis element among its children. */
function timeAxis(points: ChartPoint[], range: EndpointRange) {
  return (
    <XAxis
      dataKey="time"
      type="number"
      scale="time"
      domain={["dataMin", "dataMax"]}
      ticks={timeTicks(points, range)}
      tickFormatter={(time: number) => clockFormat.format(time)}
      tick={AXIS_TICK}
      stroke={COLORS.axis}
    />
  );
}

interface TimeChartProps {
  points: ChartPoint[];
  range: EndpointRange;
  stepSeconds: number;
}

type LatencyKey = "p50Ms" | "p95Ms" | "p99Ms";

/**
 * Lines break where a step had no requests; a step with traffic between two idle ones would then
 * draw nothing, so such isolated values get a dot.
 */
function isolatedDot(points: ChartPoint[], key: LatencyKey, color: string) {
  function IsolatedDot({ index, cx, cy }: DotItemDotProps) {
    const isolated = points[index - 1]?.[key] == null && points[index + 1]?.[key] == null;
    if (!isolated || cx === undefined || cy === undefined) return <g key={index} />;
    return <circle key={index} cx={cx} cy={cy} r={2.5} fill={color} />;
  }
  return IsolatedDot;
}

export function LatencyChart({ points, range, stepSeconds }: TimeChartProps) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={points} margin={{ top: 4, right: 12, bottom: 0, left: 4 }}>
        <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
        {timeAxis(points, range)}
        <YAxis
          tick={AXIS_TICK}
          stroke={COLORS.axis}
          width={56}
          tickFormatter={(ms: number) => formatMs(ms)}
          label={yLabel("latency (ms)")}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(time) => stepLabel(Number(time), range, stepSeconds)}
          formatter={(ms) => (typeof ms === "number" ? `${formatMs(ms)} ms` : "no requests")}
        />
        <Legend wrapperStyle={LEGEND_STYLE} />
        {(["p50", "p95", "p99"] as const).map((percentile) => (
          <Line
            key={percentile}
            type="monotone"
            dataKey={`${percentile}Ms`}
            name={percentile}
            stroke={COLORS[percentile]}
            strokeWidth={1.75}
            dot={isolatedDot(points, `${percentile}Ms`, COLORS[percentile])}
            connectNulls={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

export function ThroughputChart({ points, range, stepSeconds }: TimeChartProps) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={points} margin={{ top: 4, right: 4, bottom: 0, left: 4 }}>
        <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
        {timeAxis(points, range)}
        <YAxis
          yAxisId="rate"
          tick={AXIS_TICK}
          stroke={COLORS.axis}
          width={56}
          tickFormatter={(perSecond: number) => formatRate(perSecond)}
          label={yLabel("requests / s")}
        />
        <YAxis
          yAxisId="errors"
          orientation="right"
          allowDecimals={false}
          tick={AXIS_TICK}
          stroke={COLORS.axis}
          width={48}
          label={yLabel(`errors per ${formatStep(stepSeconds)}`, "insideRight")}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(time) => stepLabel(Number(time), range, stepSeconds)}
          formatter={(value, name) =>
            name === "Errors" ? formatNumber(Number(value)) : `${formatRate(Number(value))} req/s`
          }
        />
        <Legend wrapperStyle={LEGEND_STYLE} />
        <Area
          yAxisId="rate"
          type="monotone"
          dataKey="requestsPerSecond"
          name="Throughput"
          stroke={COLORS.throughput}
          fill={COLORS.throughput}
          fillOpacity={0.15}
          isAnimationActive={false}
        />
        <Bar yAxisId="errors" dataKey="errors" name="Errors" fill={COLORS.errors} isAnimationActive={false} />
      </ComposedChart>
    </ResponsiveContainer>
  );
}

export function BatchSizeChart({ batchSizes }: { batchSizes: EndpointSeries["batchSizes"] }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={batchSizes} margin={{ top: 4, right: 12, bottom: 12, left: 4 }}>
        <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="rows"
          type="category"
          tick={AXIS_TICK}
          stroke={COLORS.axis}
          label={xLabel("rows per run (batch size)")}
        />
        <YAxis
          allowDecimals={false}
          tick={AXIS_TICK}
          stroke={COLORS.axis}
          width={56}
          tickFormatter={(runs: number) => formatNumber(runs)}
          label={yLabel("model runs")}
        />
        <Tooltip
          {...TOOLTIP_PROPS}
          labelFormatter={(rows) => `Batch of ${String(rows)} ${Number(rows) === 1 ? "row" : "rows"}`}
          formatter={(runs) => formatNumber(Number(runs))}
        />
        <Legend wrapperStyle={LEGEND_STYLE} verticalAlign="top" />
        <Bar dataKey="runs" name="Runs" fill={COLORS.batches} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
