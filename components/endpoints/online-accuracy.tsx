"use client";

import type { OnlineAccuracyBucket, OnlineAccuracySeries } from "@/lib/serving/schemas";
import { endpointAccuracyApiPath, feedbackApiPath } from "@/components/paths";
import { ChartCard } from "@/components/ui/chart";
import { EmptyState } from "@/components/ui/empty-state";
import { formatNumber } from "@/components/ui/format";
import { LiveUpdateError } from "@/components/ui/live-update-error";
import { buildHref } from "@/components/ui/pagination";
import { SegmentedLinks } from "@/components/ui/segmented-links";
import { usePageOrigin } from "@/components/ui/use-page-origin";
import { usePolledResource } from "@/components/use-polled-resource";
import { CodeBlock } from "./code-block";
import { endpointPageHref, type ChartQuery } from "./endpoint-charts";
import { formatRatio } from "./format";
import { OnlineAccuracyChart, onlineAccuracyRows, type OnlineMetric } from "./online-accuracy-chart";

/** Replicas write logged predictions every second; feedback arrives whenever users send it. */
const ACCURACY_POLL_MS = 10_000;

const BUCKETS: { value: OnlineAccuracyBucket; label: string; window: string }[] = [
  { value: "hour", label: "Per hour", window: "48 hours" },
  { value: "day", label: "Per day", window: "30 days" },
];

function feedbackExample(origin: string, modelName: string): string {
  return [
    `curl -X POST ${origin}${feedbackApiPath(modelName)} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '{"requestId": "<the id the endpoint answered with>", "label": 3}'`,
    "",
    "# or many at once (all are recorded, or none):",
    `#   -d '{"items": [{"requestId": "a1", "label": 3}, {"requestId": "a2", "row": 1, "label": 0}]}'`,
  ].join("\n");
}

function FeedbackHowTo({ modelName }: { modelName: string }) {
  const origin = usePageOrigin();
  return (
    <div className="space-y-2 text-left text-sm text-zinc-600">
      <p>
        Every answer carries a request id: the KServe V2 <code>id</code> (yours, or one generated) and the{" "}
        <code>X-Request-Id</code> header for both protocols. Send the true label for it later; rows of a multi-row
        request are told apart by <code>row</code>.
      </p>
      <CodeBlock code={feedbackExample(origin, modelName)} copyLabel="Copy the feedback example" />
    </div>
  );
}

function scoreText(metric: OnlineMetric, accuracy: number | null, meanAbsoluteError: number | null): string {
  if (metric === "accuracy") return accuracy === null ? "—" : formatRatio(accuracy);
  return meanAbsoluteError === null ? "—" : `MAE ${formatNumber(Number(meanAbsoluteError.toPrecision(4)))}`;
}

/**
 * Accuracy of live predictions once their ground truth arrives, per hour or per day, for each
 * version, with the number of labelled predictions behind every point.
 */
export function OnlineAccuracy({
  modelName,
  initialSeries,
  query,
  sampleRate,
}: {
  modelName: string;
  initialSeries: OnlineAccuracySeries;
  query: ChartQuery;
  /** The endpoint's prediction sampling rate; null when it was never deployed. */
  sampleRate: number | null;
}) {
  const { data: series, error } = usePolledResource({
    url: buildHref(endpointAccuracyApiPath(modelName), { bucket: query.accuracy, version: query.version }),
    initial: initialSeries,
    intervalFor: () => ACCURACY_POLL_MS,
  });
  const bucket = BUCKETS.find((candidate) => candidate.value === series.bucket) ?? BUCKETS[0]!;
  const metric: OnlineMetric =
    series.versions.length > 0 && series.versions.every((entry) => entry.kind === "value") ? "mae" : "accuracy";
  const predictions = series.versions.reduce((sum, entry) => sum + entry.predictions, 0);
  const labelled = series.versions.reduce((sum, entry) => sum + entry.labelled, 0);
  const scope = query.version ? ` for v${query.version}` : "";

  return (
    <section aria-labelledby="online-accuracy-heading" className="space-y-4" data-testid="online-accuracy">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="online-accuracy-heading" className="text-base font-semibold text-zinc-900">
            Online accuracy
          </h2>
          <p className="text-xs text-zinc-500">
            Live predictions scored against the ground truth sent for them, by when the prediction was made.
            {sampleRate !== null && ` The endpoint logs ${formatRatio(sampleRate)} of its predictions.`}
          </p>
        </div>
        <SegmentedLinks
          label="Online accuracy period"
          options={BUCKETS.map((option) => ({
            label: option.label,
            href: endpointPageHref(modelName, { ...query, accuracy: option.value }),
            selected: option.value === series.bucket,
            testId: `accuracy-${option.value}`,
          }))}
        />
      </div>

      {predictions === 0 ? (
        <EmptyState
          title={`No predictions logged in the last ${bucket.window}${scope}`}
          description={
            sampleRate === 0
              ? "Prediction logging is off for this endpoint: raise the prediction sampling rate in Settings."
              : "Predictions are logged as the endpoint answers; send ground truth for them to see accuracy here."
          }
          action={<FeedbackHowTo modelName={modelName} />}
        />
      ) : (
        <>
          <dl
            className="flex flex-wrap gap-x-8 gap-y-3 rounded-lg border border-zinc-200 bg-white px-4 py-3 shadow-sm"
            data-testid="online-accuracy-figures"
          >
            <div>
              <dt className="text-xs font-medium text-zinc-500 uppercase">Logged predictions</dt>
              <dd className="text-lg font-semibold text-zinc-900 tabular-nums">{formatNumber(predictions)}</dd>
            </div>
            <div>
              <dt className="text-xs font-medium text-zinc-500 uppercase">With ground truth</dt>
              <dd className="text-lg font-semibold text-zinc-900 tabular-nums" data-testid="online-labelled">
                {formatNumber(labelled)} ({formatRatio(labelled / predictions)})
              </dd>
            </div>
            {series.versions.map((entry) => (
              <div key={entry.version}>
                <dt className="text-xs font-medium text-zinc-500 uppercase">
                  v{entry.version} {metric === "accuracy" ? "accuracy" : "error"}
                </dt>
                <dd
                  className="text-lg font-semibold text-zinc-900 tabular-nums"
                  data-testid={`online-score-v${entry.version}`}
                >
                  {scoreText(metric, entry.accuracy, entry.meanAbsoluteError)}
                  <span className="ml-1 text-xs font-normal text-zinc-500">
                    of {formatNumber(entry.labelled)} labelled
                  </span>
                </dd>
              </div>
            ))}
          </dl>
          <ChartCard
            title={metric === "accuracy" ? "Accuracy over time" : "Mean absolute error over time"}
            description={`${bucket.label}, last ${bucket.window}; bars count the labelled predictions behind each point`}
            testId="online-accuracy-chart"
            empty={labelled === 0 ? "No ground truth received yet for these predictions" : null}
          >
            <OnlineAccuracyChart
              rows={onlineAccuracyRows(series, metric)}
              versions={series.versions.map((entry) => entry.version)}
              bucket={series.bucket}
              metric={metric}
              stepSeconds={series.stepSeconds}
              from={series.from}
              to={series.to}
            />
          </ChartCard>
          {labelled === 0 && <FeedbackHowTo modelName={modelName} />}
        </>
      )}
      <LiveUpdateError message={error} />
    </section>
  );
}
