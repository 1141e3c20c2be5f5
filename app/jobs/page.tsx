import type { Metadata } from "next";
import { listJobs, listJobsQuerySchema } from "@/lib/registry";
import { JobFilters } from "@/components/jobs/job-filters";
import { JobTable } from "@/components/jobs/job-table";
import { parseSearchParams, type RawSearchParams } from "@/components/search-params";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Jobs" };

export default async function JobsPage({ searchParams }: { searchParams: Promise<RawSearchParams> }) {
  const query = parseSearchParams(listJobsQuerySchema, await searchParams);
  const jobs = await listJobs(query);
  const filters = { state: query.state, kind: query.kind, modelName: query.modelName };

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Jobs</h1>
        <p className="text-sm text-zinc-600">
          Validation, conversion and compression work run by the background worker.
        </p>
      </div>
      <JobFilters filters={filters} />
      <JobTable initialPage={jobs} filters={filters} />
    </div>
  );
}
