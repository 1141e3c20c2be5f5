import Link from "next/link";
import { NavLink } from "./nav-link";

export function TopBar() {
  return (
    <header className="sticky top-0 z-10 border-b border-zinc-200 bg-white/95 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
        <Link href="/models" className="flex items-center gap-2 text-zinc-900">
          <Logo />
          <span className="text-base font-semibold tracking-tight">Modelyard</span>
        </Link>
        <nav aria-label="Main" className="flex items-center gap-1">
          <NavLink href="/models">Models</NavLink>
          <NavLink href="/endpoints">Endpoints</NavLink>
          <NavLink href="/jobs">Jobs</NavLink>
        </nav>
      </div>
    </header>
  );
}

function Logo() {
  return (
    <svg aria-hidden="true" viewBox="0 0 32 32" className="size-6">
      <rect width="32" height="32" rx="7" className="fill-zinc-900" />
      <path
        d="M8 22V10l8 7 8-7v12"
        fill="none"
        stroke="white"
        strokeWidth="2.5"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
