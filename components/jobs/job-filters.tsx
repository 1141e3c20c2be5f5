"use client";

import { useRouter } from "next/navigation";
import { JOB_KINDS, JOB_STATES } from "@/lib/registry/schemas";
import { buttonClasses } from "@/components/ui/button";
import { inputClasses } from "@/components/ui/input-classes";
import { buildHref } from "@/components/ui/pagination";
import { JOB_KIND_LABEL, JOB_STATE_LABEL } from "./job-state-badge";
import type { JobFilterValues } from "./job-table";

/** State and kind selects that apply on change; filtering always returns to page 1. */
export function JobFilters({ filters }: { filters: JobFilterValues }) {
  const router = useRouter();
  const apply = (next: JobFilterValues) => router.push(buildHref("/jobs", { ...next }));
  const filtered = Boolean(filters.state || filters.kind || filters.modelName);

  return (
    <div role="group" aria-label="Filter jobs" className="flex flex-wrap items-center gap-2">
      <label className="flex items-center gap-2 text-sm text-zinc-700">
        State
        <select
          value={filters.state ?? ""}
          onChange={(event) => apply({ ...filters, state: JOB_STATES.find((state) => state === event.target.value) })}
          className={inputClasses({ className: "w-36" })}
          data-testid="job-filter-state"
        >
          <option value="">All states</option>
          {JOB_STATES.map((state) => (
            <option key={state} value={state}>
              {JOB_STATE_LABEL[state]}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-2 text-sm text-zinc-700">
        Kind
        <select
          value={filters.kind ?? ""}
          onChange={(event) => apply({ ...filters, kind: JOB_KINDS.find((kind) => kind === event.target.value) })}
          className={inputClasses({ className: "w-36" })}
          data-testid="job-filter-kind"
        >
          <option value="">All kinds</option>
          {JOB_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {JOB_KIND_LABEL[kind]}
            </option>
          ))}
        </select>
      </label>
      {filters.modelName && (
        <span className="text-sm text-zinc-700">
          Model <span className="font-medium text-zinc-900">{filters.modelName}</span>
        </span>
      )}
      {filtered && (
        <button type="button" onClick={() => apply({})} className={buttonClasses("ghost", "sm")}>
          Clear filters
        </button>
      )}
    </div>
  );
}
