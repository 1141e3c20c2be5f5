import Link from "next/link";
import { cn } from "./cn";

export interface SegmentedLinkOption {
  label: string;
  href: string;
  selected: boolean;
  testId?: string;
}

/**
 * A row of mutually exclusive views that live in the URL (time ranges, periods): links, so the
 * server renders the chosen view and a link reproduces it.
 */
export function SegmentedLinks({ label, options }: { label: string; options: SegmentedLinkOption[] }) {
  return (
    <nav aria-label={label} className="inline-flex rounded-md bg-zinc-100 p-0.5">
      {options.map((option) => (
        <Link
          key={option.href}
          href={option.href}
          scroll={false}
          aria-current={option.selected ? "page" : undefined}
          data-testid={option.testId}
          className={cn(
            "rounded px-2.5 py-1 text-xs font-medium transition-colors",
            option.selected ? "bg-white text-zinc-900 shadow-sm" : "text-zinc-600 hover:text-zinc-900",
          )}
        >
          {option.label}
        </Link>
      ))}
    </nav>
  );
}
