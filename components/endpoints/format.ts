/** Number formats for endpoint traffic; fixed locale so server and client render the same text. */

const LOCALE = "en-US";
const twoDecimals = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });

/** Requests per second: "0", "<0.01", "0.35", "12.5", "1,204". */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return "0";
  if (perSecond < 0.01) return "<0.01";
  return perSecond < 100 ? twoDecimals.format(perSecond) : whole.format(perSecond);
}

/** Latency in ms with precision that suits its size: "0.42", "3.1", "128"; null (no requests) is "—". */
export function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1) return twoDecimals.format(ms);
  return ms < 10 ? oneDecimal.format(ms) : whole.format(ms);
}

/** A 0–1 ratio as a percentage that keeps small error rates visible: "0%", "0.05%", "2.5%", "100%". */
export function formatRatio(ratio: number): string {
  if (ratio === 0) return "0%";
  const percent = ratio * 100;
  if (percent < 0.01) return "<0.01%";
  return `${percent < 10 ? twoDecimals.format(percent) : oneDecimal.format(percent)}%`;
}

/** A chart step: 10 → "10 s", 600 → "10 min". */
export function formatStep(seconds: number): string {
  return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
