import type { ClassificationReport } from "@/lib/evaluate";
import { formatNumber } from "@/components/ui/format";

/**
 * The confusion matrix as a heat map: rows are true classes, columns predicted ones. Colour is the
 * share of the true class (the row), so a rare class's mistakes stand out as much as a common one's;
 * the count is printed in each cell and the exact share is in its tooltip.
 */
export function ConfusionMatrix({ report, caption }: { report: ClassificationReport; caption?: string }) {
  const names = report.perClass.map((metrics) => metrics.name);
  const size = report.confusionMatrix.length;
  if (size === 0) return <p className="text-sm text-zinc-500">No valid rows to count.</p>;

  return (
    <figure className="min-w-0 space-y-1" data-testid="confusion-matrix" aria-label={caption ?? "Confusion matrix"}>
      {caption && <figcaption className="text-sm font-medium text-zinc-800">{caption}</figcaption>}
      <p className="text-center text-xs font-medium text-zinc-500">predicted class</p>
      <div className="flex items-stretch gap-1 overflow-x-auto">
        <p className="rotate-180 self-center text-xs font-medium text-zinc-500 [writing-mode:vertical-rl]">
          true class
        </p>
        <div
          className="grid gap-px text-xs tabular-nums"
          style={{ gridTemplateColumns: `max-content repeat(${size}, minmax(2.25rem, 1fr))` }}
          role="table"
        >
          <div role="row" className="contents">
            <span role="columnheader" />
            {names.map((name, column) => (
              <span key={column} role="columnheader" className="truncate px-1 text-center font-medium text-zinc-600">
                {name}
              </span>
            ))}
          </div>
          {report.confusionMatrix.map((counts, row) => {
            const rowTotal = counts.reduce((sum, count) => sum + count, 0);
            return (
              <div key={row} role="row" className="contents">
                <span
                  role="rowheader"
                  className="flex items-center justify-end truncate pr-2 font-medium text-zinc-600"
                >
                  {names[row] ?? row}
                </span>
                {counts.map((count, column) => (
                  <MatrixCell
                    key={column}
                    count={count}
                    share={rowTotal > 0 ? count / rowTotal : 0}
                    correct={row === column}
                    label={`true ${names[row] ?? row}, predicted ${names[column] ?? column}`}
                  />
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </figure>
  );
}

function MatrixCell({
  count,
  share,
  correct,
  label,
}: {
  count: number;
  share: number;
  correct: boolean;
  label: string;
}) {
  // Blue for correct predictions, red for mistakes; a floor keeps small non-zero counts visible.
  const alpha = count === 0 ? 0 : 0.12 + 0.88 * share;
  const rgb = correct ? "37 99 235" : "220 38 38";
  return (
    <span
      role="cell"
      title={`${label}: ${formatNumber(count)} ${count === 1 ? "row" : "rows"} (${(share * 100).toFixed(1)}% of the true class)`}
      className={`flex h-9 items-center justify-center rounded-sm ${alpha > 0.55 ? "text-white" : "text-zinc-800"} ${count === 0 ? "bg-zinc-50 text-zinc-300" : ""}`}
      style={count === 0 ? undefined : { backgroundColor: `rgb(${rgb} / ${alpha.toFixed(3)})` }}
    >
      {formatNumber(count)}
    </span>
  );
}
