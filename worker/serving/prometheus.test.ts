import { describe, expect, it } from "vitest";
import { ServingMetrics } from "./prometheus";

const linesOf = async (metrics: ServingMetrics, name: string) =>
  (await metrics.text()).split("\n").filter((line) => line.startsWith(name));

describe("ServingMetrics", () => {
  it("counts requests, errors, latency, timings and batch sizes per version in Prometheus' text format", async () => {
    const metrics = new ServingMetrics();
    const hosted = { modelName: "digits", version: 3 };
    const series = metrics.forVersion(hosted);
    expect(metrics.forVersion(hosted)).toBe(series);
    series.request("v2", 200, 0.0003);
    series.request("v2", 200, 0.002);
    series.request("tf", 503, 0.01);
    series.timings(0.0001, 0.0002);
    series.batch(3);
    // A version loaded again is a new object with the same labels: it adds to the same series.
    metrics.forVersion({ modelName: "digits", version: 3 }).request("v2", 200, 0.0004);

    const labels = 'model="digits",version="3"';
    expect(await linesOf(metrics, "modelyard_serving_requests_total")).toEqual([
      `modelyard_serving_requests_total{${labels},protocol="v2",code="200"} 3`,
      `modelyard_serving_requests_total{${labels},protocol="tf",code="503"} 1`,
    ]);
    expect(await linesOf(metrics, "modelyard_serving_request_errors_total")).toEqual([
      `modelyard_serving_request_errors_total{${labels},protocol="tf",code="503"} 1`,
    ]);
    const latency = await linesOf(metrics, "modelyard_serving_request_duration_seconds");
    expect(latency).toContain(
      `modelyard_serving_request_duration_seconds_bucket{${labels},protocol="v2",le="0.00025"} 0`,
    );
    expect(latency).toContain(
      `modelyard_serving_request_duration_seconds_bucket{${labels},protocol="v2",le="0.0005"} 2`,
    );
    expect(latency).toContain(`modelyard_serving_request_duration_seconds_bucket{${labels},protocol="v2",le="+Inf"} 3`);
    expect(latency).toContain(`modelyard_serving_request_duration_seconds_count{${labels},protocol="v2"} 3`);
    expect(latency).toContain(`modelyard_serving_request_duration_seconds_count{${labels},protocol="tf"} 1`);
    const sum = latency.find((line) =>
      line.startsWith(`modelyard_serving_request_duration_seconds_sum{${labels},protocol="v2"}`),
    );
    expect(Number(sum?.split(" ")[1])).toBeCloseTo(0.0027, 10);
    expect(await linesOf(metrics, "modelyard_serving_compute_duration_seconds_count")).toEqual([
      `modelyard_serving_compute_duration_seconds_count{${labels}} 1`,
    ]);
    const batches = await linesOf(metrics, "modelyard_serving_batch_size_bucket");
    expect(batches).toContain(`modelyard_serving_batch_size_bucket{${labels},le="2"} 0`);
    expect(batches).toContain(`modelyard_serving_batch_size_bucket{${labels},le="4"} 1`);
  });

  it("shows a series only once something was recorded in it, next to prom-client's own metrics", async () => {
    const metrics = new ServingMetrics();
    metrics.forVersion({ modelName: "idle", version: 1 });
    const text = await metrics.text();
    expect(text).toContain("# TYPE modelyard_serving_request_duration_seconds histogram");
    expect(text).toContain("# TYPE modelyard_serving_requests_total counter");
    expect(text).toContain("modelyard_serving_process_cpu_seconds_total");
    expect(text).not.toContain('model="idle"');
  });

  it("counts dropped logged predictions by reason", async () => {
    const metrics = new ServingMetrics();
    const dropped = { refused: 2, unreachable: 0, write_failed: 0, backlog: 0 };
    metrics.observe({
      states: () => [],
      queueDepths: () => [],
      droppedBuckets: () => 0,
      droppedPredictions: () => dropped,
    });
    expect(await linesOf(metrics, "modelyard_serving_prediction_logs_dropped_total")).toEqual([
      'modelyard_serving_prediction_logs_dropped_total{reason="refused"} 2',
      'modelyard_serving_prediction_logs_dropped_total{reason="unreachable"} 0',
      'modelyard_serving_prediction_logs_dropped_total{reason="write_failed"} 0',
      'modelyard_serving_prediction_logs_dropped_total{reason="backlog"} 0',
    ]);
    dropped.unreachable = 5;
    expect(await linesOf(metrics, 'modelyard_serving_prediction_logs_dropped_total{reason="unreachable"}')).toEqual([
      'modelyard_serving_prediction_logs_dropped_total{reason="unreachable"} 5',
    ]);
  });
});
