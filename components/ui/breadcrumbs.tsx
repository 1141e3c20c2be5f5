import Link from "next/link";
import { Fragment } from "react";

/** The trail above a page: every crumb but the last links back up. */
export function Breadcrumbs({ trail }: { trail: { label: string; href?: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-zinc-500">
      {trail.map((crumb, index) => (
        <Fragment key={`${index}-${crumb.label}`}>
          {index > 0 && " / "}
          {crumb.href ? (
            <Link href={crumb.href} className="hover:text-zinc-900 hover:underline">
              {crumb.label}
            </Link>
          ) : (
            <span className="text-zinc-900">{crumb.label}</span>
          )}
        </Fragment>
      ))}
    </nav>
  );
}
