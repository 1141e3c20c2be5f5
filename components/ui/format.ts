/**
 * Display formatting shared by server and client components. Every formatter uses a fixed locale
 * and UTC where it matters, so the server-rendered HTML and the hydrated client agree.
 */

const LOCALE = "en-US";

const integerFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });

/** 1234567 → "1,234,567". */
export function formatNumber(value: number): string {
  return integerFormat.format(value);
}

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** Decimal (SI) units, the way file managers and browsers report sizes: 1500000 → "1.5 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** A transfer rate: 2_500_000 → "2.50 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A 0–100 value as "42%" (whole numbers; one decimal below 1% so a slow start is visible). */
export function formatPercent(percent: number): string {
  const clamped = Math.min(100, Math.max(0, percent));
  return clamped > 0 && clamped < 1 ? `${clamped.toFixed(1)}%` : `${Math.floor(clamped)}%`;
}

/** Metric values: integers as is, fractions with up to 4 significant decimals, huge/tiny in exponent form. */
export function formatMetricValue(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return formatNumber(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
}

/** 3_723_000 ms → "1h 2m 3s"; under a minute shows tenths of a second for quick jobs. */
export function formatDuration(milliseconds: number): string {
  const ms = Math.max(0, milliseconds);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${decimalFormat.format(Math.round(ms / 100) / 10)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h ${minutes}m ${seconds}s` : `${minutes}m ${seconds}s`;
}

const absoluteFormat = new Intl.DateTimeFormat(LOCALE, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
  timeZone: "UTC",
});

/** "Nov 23, 2025, 10:29:04 UTC": deterministic on server and client (no local time zone). */
export function formatAbsoluteTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${absoluteFormat.format(date)} UTC`;
}

const relativeFormat = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });

const RELATIVE_STEPS: { unit: Intl.RelativeTimeFormatUnit; seconds: number }[] = [
  { unit: "year", seconds: 365 * 24 * 3600 },
  { unit: "month", seconds: 30 * 24 * 3600 },
  { unit: "week", seconds: 7 * 24 * 3600 },
  { unit: "day", seconds: 24 * 3600 },
  { unit: "hour", seconds: 3600 },
  { unit: "minute", seconds: 60 },
];

/** "3 minutes ago", "yesterday", "just now". */
export function formatRelativeTime(iso: string, now: number): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  const deltaSeconds = (time - now) / 1000;
  if (Math.abs(deltaSeconds) < 45) return "just now";
  for (const { unit, seconds } of RELATIVE_STEPS) {
    if (Math.abs(deltaSeconds) >= seconds) return relativeFormat.format(Math.round(deltaSeconds / seconds), unit);
  }
  return relativeFormat.format(Math.round(deltaSeconds / 60), "minute");
}

/** Splits "a, b,,c " into ["a", "b", "c"] without duplicates. */
export function parseTagList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
}

/** Picks the singular or plural noun: pluralize(1, "version") → "1 version". */
export function pluralize(count: number, noun: string, plural = `${noun}s`): string {
  return `${formatNumber(count)} ${count === 1 ? noun : plural}`;
}
