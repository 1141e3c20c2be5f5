import Link from "next/link";
import { cn } from "./cn";

const CHIP_CLASSES = "inline-flex items-center rounded-md bg-zinc-100 px-1.5 py-0.5 text-xs font-medium text-zinc-700";

/** Tags as chips; with `hrefFor` each chip links somewhere (e.g. the list filtered by that tag). */
export function TagList({
  tags,
  hrefFor,
  className,
}: {
  tags: readonly string[];
  hrefFor?: (tag: string) => string;
  className?: string;
}) {
  if (tags.length === 0) return null;
  return (
    <ul aria-label="Tags" className={cn("flex flex-wrap gap-1", className)}>
      {tags.map((tag) => (
        <li key={tag}>
          {hrefFor ? (
            <Link href={hrefFor(tag)} className={cn(CHIP_CLASSES, "hover:bg-zinc-200 hover:text-zinc-900")}>
              {tag}
            </Link>
          ) : (
            <span className={CHIP_CLASSES}>{tag}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
