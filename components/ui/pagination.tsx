import Link from "next/link";
import type { ReactNode } from "react";
import { buttonClasses } from "./button";
import { cn } from "./cn";
import { formatNumber } from "./format";

export type QueryValues = Record<string, string | number | undefined | null>;

/** Builds `path?key=value` from the non-empty values, so links keep the current filters. */
export function buildHref(path: string, query: QueryValues): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export interface PaginationProps {
  /** The page's path; links add `page` to `query`. */
  path: string;
  /** Filters to keep when moving between pages. */
  query?: QueryValues;
  page: number;
  pageSize: number;
  total: number;
  /** What is counted, plural: "models". */
  noun: string;
  /** The query key of the page number, for a page with more than one list. */
  pageParam?: string;
}

/** "1–25 of 80 models" with Previous / Next links; page 1 is left out of the URL. */
export function Pagination({ path, query = {}, page, pageSize, total, noun, pageParam = "page" }: PaginationProps) {
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : Math.min(total, (page - 1) * pageSize + 1);
  const last = Math.min(total, page * pageSize);
  const hrefFor = (target: number) => buildHref(path, { ...query, [pageParam]: target > 1 ? target : undefined });

  return (
    <nav aria-label="Pagination" className="flex flex-wrap items-center justify-between gap-3 text-sm text-zinc-600">
      <p>
        {first > 0 ? (
          <>
            <span className="font-medium text-zinc-900">
              {formatNumber(first)}–{formatNumber(last)}
            </span>{" "}
            of <span className="font-medium text-zinc-900">{formatNumber(total)}</span> {noun}
          </>
        ) : (
          <>
            {formatNumber(total)} {noun}
          </>
        )}
        <span className="text-zinc-400"> · </span>
        Page {formatNumber(page)} of {formatNumber(pageCount)}
      </p>
      <div className="flex gap-2">
        <PageLink href={page > 1 ? hrefFor(Math.min(page - 1, pageCount)) : null} testId="pagination-prev" rel="prev">
          ← Previous
        </PageLink>
        <PageLink href={page < pageCount ? hrefFor(page + 1) : null} testId="pagination-next" rel="next">
          Next →
        </PageLink>
      </div>
    </nav>
  );
}

function PageLink({
  href,
  testId,
  rel,
  children,
}: {
  href: string | null;
  testId: string;
  rel: "prev" | "next";
  children: ReactNode;
}) {
  const className = buttonClasses("secondary", "sm");
  if (href === null) {
    // An <a> without href is not focusable; role + aria-disabled keep it announced as a disabled link.
    return (
      <a
        role="link"
        aria-disabled="true"
        data-testid={testId}
        className={cn(className, "pointer-events-none opacity-50")}
      >
        {children}
      </a>
    );
  }
  return (
    <Link href={href} rel={rel} data-testid={testId} className={className} scroll={false}>
      {children}
    </Link>
  );
}
