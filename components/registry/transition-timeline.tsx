import type { TransitionDto } from "@/lib/registry/schemas";
import { RelativeTime } from "@/components/ui/relative-time";
import { StageBadge } from "./stage-badge";

/** Stage changes, newest first, as a vertical timeline. */
export function TransitionTimeline({ transitions }: { transitions: TransitionDto[] }) {
  if (transitions.length === 0) {
    return (
      <p className="text-sm text-zinc-500" data-testid="stage-history">
        No stage changes yet.
      </p>
    );
  }
  const newestFirst = [...transitions].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || Number(b.id) - Number(a.id),
  );
  return (
    <ol data-testid="stage-history" className="relative space-y-4 border-l border-zinc-200 pl-5">
      {newestFirst.map((transition) => (
        <li key={transition.id} data-testid="transition-row" className="relative">
          <span
            aria-hidden="true"
            className="absolute top-1.5 -left-[25px] size-2.5 rounded-full border-2 border-white bg-zinc-400 ring-1 ring-zinc-300"
          />
          <div className="flex flex-wrap items-center gap-1.5 text-sm">
            <StageBadge stage={transition.fromStage} />
            <span aria-label="to" className="text-zinc-400">
              →
            </span>
            <StageBadge stage={transition.toStage} />
          </div>
          <p className="mt-1 text-xs text-zinc-600">
            by <span className="font-medium text-zinc-800">{transition.actor}</span> ·{" "}
            <RelativeTime iso={transition.createdAt} />
          </p>
          {transition.comment && (
            <p className="mt-1 text-sm whitespace-pre-wrap text-zinc-700">“{transition.comment}”</p>
          )}
        </li>
      ))}
    </ol>
  );
}
