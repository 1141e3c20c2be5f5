import type { ComponentProps } from "react";
import { cn } from "@/components/ui/cn";
import { CopyButton } from "@/components/ui/copy-button";

/** Preformatted code with a copy button in its corner; long lines scroll rather than wrap. */
export function CodeBlock({
  code,
  copyLabel = "Copy code",
  className,
  ...rest
}: { code: string; copyLabel?: string } & Omit<ComponentProps<"pre">, "children">) {
  return (
    <div className={cn("relative rounded-md border border-zinc-200 bg-zinc-50", className)}>
      <pre className="max-h-96 overflow-auto p-3 pr-20 font-mono text-xs leading-relaxed text-zinc-800" {...rest}>
        <code>{code}</code>
      </pre>
      <div className="absolute top-1 right-1 rounded-md bg-zinc-50/90">
        <CopyButton value={code} label={copyLabel} />
      </div>
    </div>
  );
}
