import type { ReactNode } from "react";
import { cn } from "./cn";

export interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  /** A button or link that gets the user unstuck. */
  action?: ReactNode;
  icon?: ReactNode;
  className?: string;
}

export function EmptyState({ title, description, action, icon, className }: EmptyStateProps) {
  return (
    <div
      className={cn(
        "flex flex-col items-center justify-center gap-3 rounded-lg border border-dashed border-zinc-300 bg-white px-6 py-12 text-center",
        className,
      )}
    >
      {icon && <div className="text-zinc-400">{icon}</div>}
      <div className="space-y-1">
        <h2 className="text-base font-semibold text-zinc-900">{title}</h2>
        {description && <div className="mx-auto max-w-md text-sm text-zinc-600">{description}</div>}
      </div>
      {action}
    </div>
  );
}
