import type { ComponentProps } from "react";
import { cn } from "./cn";

export type ProgressTone = "blue" | "green" | "red" | "neutral";

const TONE_CLASSES: Record<ProgressTone, string> = {
  blue: "bg-blue-600",
  green: "bg-emerald-600",
  red: "bg-red-600",
  neutral: "bg-zinc-400",
};

export interface ProgressBarProps extends Omit<ComponentProps<"div">, "children"> {
  /** 0–100. */
  percent: number;
  /** Accessible name, e.g. "Upload progress". */
  label: string;
  tone?: ProgressTone;
  size?: "sm" | "md";
}

export function ProgressBar({ percent, label, tone = "blue", size = "md", className, ...rest }: ProgressBarProps) {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped)}
      className={cn("w-full overflow-hidden rounded-full bg-zinc-200", size === "sm" ? "h-1.5" : "h-2", className)}
      {...rest}
    >
      <div
        className={cn("h-full rounded-full transition-[width] duration-300 ease-out", TONE_CLASSES[tone])}
        style={{ width: `${clamped}%` }}
      />
    </div>
  );
}
