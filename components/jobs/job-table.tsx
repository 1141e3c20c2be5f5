"use client";

import Link from "next/link";
import type { JobDto, Page } from "@/lib/registry/schemas";
import { versionPath } from "@/components/paths";
import { EmptyState } from "@/components/ui/empty-state";
import { formatDuration, formatPercent } from "@/components/ui/format";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { Pagination, buildHref } from "@/components/ui/pagination";
import { ProgressBar, type ProgressTone } from "@/components/ui/progress-bar";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { useNow } from "@/components/ui/use-now";
import { usePolledResource } from "@/components/use-polled-resource";
import { JOB_KIND_LABEL, JobStateBadge, isActiveJob, type JobKind, type JobState } from "./job-state-badge";

const ACTIVE_POLL_MS = 2000;
const IDLE_POLL_MS = 10_000;

export interface JobFilterValues {
  state?: JobState;
  kind?: JobKind;
  modelName?: string;
}

function pollInterval(page: Page<JobDto>): number {
  return page.items.some((job) => isActiveJob(job.state)) ? ACTIVE_POLL_MS : IDLE_POLL_MS;
}

/** Workers store progress as a 0–1 fraction; tolerate a 0–100 value too. */
function progressPercent(job: JobDto): number {
  if (job.state === "SUCCEEDED") return 100;
  return job.progress <= 1 ? job.progress * 100 : job.progress;
}

const PROGRESS_TONE: Record<JobState, ProgressTone> = {
  QUEUED: "neutral",
  RUNNING: "blue",
  SUCCEEDED: "green",
  FAILED: "red",
  CANCELLED: "neutral",
};

/** Finished jobs: how long they ran. Running jobs: a live counter. Queued jobs: nothing yet. */
function JobDuration({ job }: { job: JobDto }) {
  const now = useNow();
  if (!job.startedAt) return <span className="text-zinc-400">—</span>;
  const started = new Date(job.startedAt).getTime();
  if (job.finishedAt) return <>{formatDuration(new Date(job.finishedAt).getTime() - started)}</>;
  if (now === null) return <span className="text-zinc-500">running</span>;
  return <span title="Still running">{formatDuration(now - started)}</span>;
}

function JobTarget({ target }: { target: JobDto["target"] }) {
  if (!target) return <span className="text-zinc-400">—</span>;
  return (
    <Link
      href={versionPath(target.modelName, target.version)}
      className="font-medium whitespace-nowrap text-blue-700 hover:underline"
    >
      {target.modelName} v{target.version}
    </Link>
  );
}

export function JobTable({ initialPage, filters }: { initialPage: Page<JobDto>; filters: JobFilterValues }) {
  const { page, pageSize } = initialPage;
  const jobs = usePolledResource({
    url: buildHref("/api/jobs", { page, pageSize, ...filters }),
    initial: initialPage,
    intervalFor: pollInterval,
  });
  const { items, total } = jobs.data;

  if (items.length === 0) {
    return (
      <div className="space-y-3">
        <JobsEmptyState filtered={Object.values(filters).some(Boolean)} pastEnd={total > 0} />
        <LiveUpdateError message={jobs.error} />
      </div>
    );
  }

  return (
    <div className="space-y-3">
      <Table aria-label="Jobs">
        <THead>
          <tr>
            <Th>Kind</Th>
            <Th>Target</Th>
            <Th>State</Th>
            <Th className="w-40">Progress</Th>
            <Th className="hidden sm:table-cell">Duration</Th>
            <Th className="hidden md:table-cell">Error</Th>
            <Th className="hidden md:table-cell">Created</Th>
          </tr>
        </THead>
        <TBody>
          {items.map((job) => {
            const percent = progressPercent(job);
            return (
              <Tr key={job.id} data-testid="job-row" data-state={job.state} data-kind={job.kind}>
                <Td className="font-medium">{JOB_KIND_LABEL[job.kind]}</Td>
                <Td>
                  <JobTarget target={job.target} />
                </Td>
                <Td>
                  <JobStateBadge state={job.state} />
                </Td>
                <Td>
                  <div className="flex items-center gap-2">
                    <ProgressBar
                      percent={percent}
                      tone={PROGRESS_TONE[job.state]}
                      size="sm"
                      label={`${JOB_KIND_LABEL[job.kind]} job progress`}
                    />
                    <span className="w-10 text-right text-xs text-zinc-600 tabular-nums">{formatPercent(percent)}</span>
                  </div>
                </Td>
                <Td className="hidden whitespace-nowrap text-zinc-700 tabular-nums sm:table-cell">
                  <JobDuration job={job} />
                </Td>
                <Td className="hidden max-w-xs md:table-cell">
                  {job.error ? (
                    <p className="line-clamp-3 text-xs break-words text-red-700" title={job.error}>
                      {job.error}
                    </p>
                  ) : (
                    <span className="text-zinc-400">—</span>
                  )}
                </Td>
                <Td className="hidden whitespace-nowrap text-zinc-600 md:table-cell">
                  <RelativeTime iso={job.createdAt} />
                  <div className="text-xs text-zinc-500">by {job.createdBy}</div>
                </Td>
              </Tr>
            );
          })}
        </TBody>
      </Table>
      <Pagination path="/jobs" query={{ ...filters }} page={page} pageSize={pageSize} total={total} noun="jobs" />
      <LiveUpdateError message={jobs.error} />
    </div>
  );
}

/** Keeps polling behind it, so the first job shows up without a reload. */
function JobsEmptyState({ filtered, pastEnd }: { filtered: boolean; pastEnd: boolean }) {
  if (pastEnd) {
    return (
      <EmptyState
        title="This page is past the last job"
        action={
          <Link href="/jobs" className="text-sm font-medium text-blue-700 hover:underline">
            Go to the newest jobs
          </Link>
        }
      />
    );
  }
  if (filtered) {
    return (
      <EmptyState
        title="No jobs match these filters"
        action={
          <Link href="/jobs" className="text-sm font-medium text-blue-700 hover:underline">
            Show all jobs
          </Link>
        }
      />
    );
  }
  return (
    <EmptyState
      title="No jobs yet"
      description="Background jobs run when a version is uploaded (validation), converted or compressed. They appear here as they are queued."
    />
  );
}
