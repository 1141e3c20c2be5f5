import type { ReactNode } from "react";
import { cn } from "./cn";

export interface CardProps {
  title: string;
  /** Right-aligned controls in the header (e.g. an Edit button). */
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
}

/** A titled white panel; the title is an h2 so the page outline stays navigable. */
export function Card({ title, actions, children, className, id }: CardProps) {
  const headingId = id ? `${id}-heading` : undefined;
  return (
    <section
      id={id}
      aria-labelledby={headingId}
      className={cn("rounded-lg border border-zinc-200 bg-white shadow-sm", className)}
    >
      <header className="flex items-center justify-between gap-3 border-b border-zinc-100 px-4 py-2.5">
        <h2 id={headingId} className="text-sm font-semibold text-zinc-900">
          {title}
        </h2>
        {actions}
      </header>
      <div className="p-4">{children}</div>
    </section>
  );
}

/** A two-column definition list for "label: value" facts. */
export function FactList({ facts }: { facts: { label: string; value: ReactNode }[] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_1fr]">
      {facts.map(({ label, value }) => (
        <div key={label} className="contents">
          <dt className="text-zinc-500">{label}</dt>
          <dd className="min-w-0 text-zinc-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
