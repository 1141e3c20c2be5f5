import type { ComponentProps } from "react";
import { cn } from "./cn";

export type AlertTone = "error" | "info" | "success" | "warning";

const TONE_CLASSES: Record<AlertTone, string> = {
  error: "border-red-200 bg-red-50 text-red-800",
  info: "border-blue-200 bg-blue-50 text-blue-800",
  success: "border-emerald-200 bg-emerald-50 text-emerald-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
};

export interface AlertProps extends ComponentProps<"div"> {
  tone?: AlertTone;
}

/** A message box; errors are announced immediately (role="alert"), the rest politely. */
export function Alert({ tone = "error", className, ...rest }: AlertProps) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn("rounded-md border px-3 py-2 text-sm", TONE_CLASSES[tone], className)}
      {...rest}
    />
  );
}
