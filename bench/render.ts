import { spawn } from "node:child_process";
import pg from "pg";
import { z } from "zod";
import { isPrerendered, machine, numberFlag, prepareBench, runBench, say, startBenchWeb } from "./lib/setup";
import { fixed, markdownTable, percentile } from "./lib/stats";

/**
 * `npm run bench:render`: server render time of the models list (/models) and a model page
 * (/models/{name}) with 1,000 models and 10,000 versions, timed to the last byte of the HTML, plus
 * the JSON API that serves the same data. Target: p50 under 300 ms. Then autocannon, 8 connections
 * for 10 s, on /models and on the list API.
 *   --requests N   timed requests per URL after 5 warm-up ones (default 50)
 *   --duration S   autocannon seconds (default 10)
 *   --build        rebuild .next-bench even when it is up to date
 */
const TARGET_MS = 300;
const WARM_UP = 5;
const requests = numberFlag("requests", 50);
const duration = numberFlag("duration", 10);

/** Models 1–100 get 19 versions, 101–1000 get 9 (see `seed`): 10,000 in all, unevenly spread. */
const MODELS = 1000;
/** Has 19 versions, one in Production and one in Staging (see the stage rules in `seed`). */
const MODEL_PAGE = "bench-model-0042";
const SEARCH = "model-04";

/**
 * Fills the database in a few set-based statements (a couple of seconds): models, versions sharing
 * one artifact row, two metrics per version, stage transitions that match each version's stage,
 * and one finished validate job per version.
 */
async function seed(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    const sha = "b".repeat(64);
    await client.query(`INSERT INTO artifact (sha256, size_bytes) VALUES ($1, 1234567)`, [sha]);
    await client.query(
      `INSERT INTO registered_model (id, name, description, tags, last_version, created_by, created_at, updated_at)
       SELECT gen_random_uuid(),
              'bench-model-' || lpad(i::text, 4, '0'),
              'Benchmark model ' || i || ' of the ' || team || ' team: an ONNX classifier with a description long enough to wrap in the table.',
              ARRAY[team, CASE WHEN i % 2 = 0 THEN 'prod' ELSE 'research' END],
              CASE WHEN i <= 100 THEN 19 ELSE 9 END,
              'bench',
              now() - i * interval '1 day',
              now() - i * interval '1 minute'
       FROM generate_series(1, $1::int) AS i,
            LATERAL (SELECT (ARRAY['vision', 'speech', 'ranking', 'fraud', 'forecasting'])[1 + i % 5] AS team) AS t`,
      [MODELS],
    );
    // Stages: Production (every 2nd model) is the second-newest version, Staging (every 3rd) the
    // newest, older even versions are Archived; so at most one Production version per model.
    await client.query(
      `INSERT INTO model_version (id, model_id, version, format, artifact_sha256, size_bytes, original_filename, status,
                                  status_message, stage, signature, opset, producer, parameter_count, source, source_detail,
                                  description, tags, created_by, created_at, updated_at)
       SELECT gen_random_uuid(), m.id, v, 'ONNX', $1, 1234567, 'model-v' || v || '.onnx',
              CASE WHEN s.stage <> 'NONE' THEN 'READY'
                   WHEN v % 7 = 3 THEN 'FAILED'
                   WHEN v = m.last_version AND m.i % 5 = 0 THEN 'PENDING'
                   ELSE 'READY' END::version_status,
              CASE WHEN s.stage = 'NONE' AND v % 7 = 3 THEN 'the ONNX graph is invalid: node 12 (Conv) has no input ''x''' END,
              s.stage::stage,
              '{"inputs":[{"name":"input","dtype":"float32","shape":["batch",3,224,224]}],"outputs":[{"name":"logits","dtype":"float32","shape":["batch",1000]}]}'::jsonb,
              17, 'pytorch 2.5', 11689512, 'UPLOAD', jsonb_build_object('filename', 'model-v' || v || '.onnx'),
              'Version ' || v, ARRAY['bench'], 'bench',
              m.created_at + v * interval '1 hour', m.created_at + v * interval '1 hour'
       FROM (SELECT id, last_version, created_at, row_number() OVER (ORDER BY name) AS i FROM registered_model) AS m,
            LATERAL generate_series(1, m.last_version) AS v,
            LATERAL (SELECT CASE WHEN m.i % 2 = 0 AND v = m.last_version - 1 THEN 'PRODUCTION'
                                 WHEN m.i % 3 = 0 AND v = m.last_version THEN 'STAGING'
                                 WHEN v <= m.last_version - 4 AND v % 2 = 0 THEN 'ARCHIVED'
                                 ELSE 'NONE' END AS stage) AS s`,
      [sha],
    );
    await client.query(
      `INSERT INTO version_metric (version_id, key, value, step, timestamp)
       SELECT mv.id, k.key, CASE k.key WHEN 'accuracy' THEN 0.8 + random() * 0.19 ELSE random() END, 0, mv.created_at
       FROM model_version mv, (VALUES ('accuracy'), ('loss')) AS k(key)`,
    );
    // The history that leads to each stage: Staging 1 step, Production 2, Archived 3.
    await client.query(
      `INSERT INTO stage_transition (version_id, from_stage, to_stage, actor, comment, created_at)
       SELECT mv.id, t.from_stage::stage, t.to_stage::stage, 'bench', 'bench', mv.created_at + t.n * interval '10 minutes'
       FROM model_version mv
       JOIN (VALUES (1, 'NONE', 'STAGING'), (2, 'STAGING', 'PRODUCTION'), (3, 'PRODUCTION', 'ARCHIVED')) AS t(n, from_stage, to_stage)
         ON t.n <= CASE mv.stage WHEN 'STAGING' THEN 1 WHEN 'PRODUCTION' THEN 2 WHEN 'ARCHIVED' THEN 3 ELSE 0 END`,
    );
    await client.query(
      `INSERT INTO job (id, kind, state, progress, version_id, created_by, created_at, started_at, finished_at, attempts)
       SELECT gen_random_uuid(), 'VALIDATE', CASE mv.status WHEN 'FAILED' THEN 'FAILED' WHEN 'PENDING' THEN 'QUEUED' ELSE 'SUCCEEDED' END::job_state,
              CASE mv.status WHEN 'PENDING' THEN 0 ELSE 1 END, mv.id, 'bench', mv.created_at, mv.created_at, mv.created_at + interval '3 seconds', 1
       FROM model_version mv`,
    );
    await client.query("COMMIT");
    await client.query("ANALYZE");
    const counts: Record<string, number> = {};
    for (const table of ["registered_model", "model_version", "version_metric", "stage_transition", "job"]) {
      counts[table] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    }
    const stages = await client.query<{ stage: string; n: string }>(
      `SELECT stage, count(*) AS n FROM model_version GROUP BY stage ORDER BY stage`,
    );
    for (const row of stages.rows) counts[`versions ${row.stage}`] = Number(row.n);
    return counts;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

interface Timing {
  label: string;
  url: string;
  status: number;
  bytes: number;
  /** Distinct bench model names in the body: shows the data was rendered on the server. */
  modelsShown: number;
  times: number[];
}

/** Time from sending the request to the last byte of the body. */
async function timeOnce(url: string): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept: "text/html,application/json" } });
  const body = await response.text();
  return { ms: performance.now() - started, status: response.status, body };
}

async function measure(baseUrl: string, label: string, route: string): Promise<Timing> {
  const url = `${baseUrl}${route}`;
  let last = await timeOnce(url);
  for (let i = 1; i < WARM_UP; i += 1) last = await timeOnce(url);
  const timing: Timing = {
    label,
    url: route,
    status: last.status,
    bytes: Buffer.byteLength(last.body),
    modelsShown: new Set(last.body.match(/bench-model-\d{4}/g) ?? []).size,
    times: [],
  };
  // A missing page (404) or an error is reported as such rather than timed.
  if (last.status !== 200) return timing;
  for (let i = 0; i < requests; i += 1) {
    const result = await timeOnce(url);
    if (result.status !== 200) throw new Error(`${route} answered ${result.status} after answering 200`);
    timing.times.push(result.ms);
  }
  return timing;
}

const autocannonResult = z.object({
  requests: z.object({ average: z.number(), total: z.number() }),
  latency: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() }),
  non2xx: z.number(),
  errors: z.number(),
  timeouts: z.number(),
});
type AutocannonResult = z.infer<typeof autocannonResult>;

/** autocannon's CLI with JSON output, so its event loop is not this process's. */
function autocannon(url: string): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("node_modules/.bin/autocannon", ["-c", "8", "-d", String(duration), "-j", "-n", url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (part: Buffer) => (output += part.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`autocannon exited with code ${code}`));
      else {
        try {
          resolve(autocannonResult.parse(JSON.parse(output)));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

runBench(async (teardown) => {
  const bench = await prepareBench("render", teardown);
  const seeded = performance.now();
  const counts = await seed(bench.databaseUrl);
  say(`seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
  const { baseUrl } = await startBenchWeb(bench, teardown);

  const targets: [string, string][] = [
    ["models list", "/models"],
    ["models list, page 20", "/models?page=20"],
    [`models list, search "${SEARCH}"`, `/models?q=${SEARCH}`],
    ["model page (19 versions)", `/models/${MODEL_PAGE}`],
    ["API: list", "/api/models?page=1&pageSize=25"],
    ["API: list, page 20", "/api/models?page=20&pageSize=25"],
    [`API: list, search "${SEARCH}"`, `/api/models?q=${SEARCH}&pageSize=25`],
    ["API: model", `/api/models/${MODEL_PAGE}`],
    ["API: model versions", `/api/models/${MODEL_PAGE}/versions`],
  ];
  const timings: Timing[] = [];
  for (const [label, route] of targets) {
    say(`timing ${route}`);
    timings.push(await measure(baseUrl, label, route));
  }

  const available = (route: string) => timings.some((timing) => timing.url === route && timing.status === 200);
  const loads: [string, AutocannonResult][] = [];
  for (const route of ["/models", "/api/models?page=1&pageSize=25"]) {
    if (!available(route)) continue;
    say(`autocannon -c 8 -d ${duration} ${route}`);
    loads.push([route, await autocannon(`${baseUrl}${route}`)]);
  }

  const prerendered = (await Promise.all(["/models", "/models/[name]"].map(isPrerendered))).some(Boolean);
  console.log(
    `\nServer render time, ${MODELS.toLocaleString("en")} models / ${counts.model_version?.toLocaleString("en")} versions`,
  );
  console.log(`next start, ${machine()}; ${new Date().toISOString()}`);
  console.log(
    `${requests} sequential requests per URL after ${WARM_UP} warm-up ones, timed to the last byte of the body; ms${prerendered ? "; WARNING: a page was prerendered at build time" : ""}\n`,
  );
  console.log(
    markdownTable(
      ["URL", "HTTP", "KB", "models shown", "p50", "p90", "p99", "min", `p50 < ${TARGET_MS} ms`],
      timings.map((timing) => [
        timing.url,
        String(timing.status),
        fixed(timing.bytes / 1000, 1),
        String(timing.modelsShown),
        fixed(percentile(timing.times, 50)),
        fixed(percentile(timing.times, 90)),
        fixed(percentile(timing.times, 99)),
        fixed(Math.min(...timing.times)),
        timing.status !== 200 ? "not available" : percentile(timing.times, 50) < TARGET_MS ? "yes" : "NO",
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7]),
    ),
  );
  if (loads.length > 0) {
    console.log(`\nautocannon, 8 connections, ${duration} s; latency in ms\n`);
    console.log(
      markdownTable(
        ["URL", "req/s", "requests", "p50", "p90", "p99", "max", "non-2xx", "errors"],
        loads.map(([route, result]) => [
          route,
          fixed(result.requests.average, 1),
          String(result.requests.total),
          fixed(result.latency.p50, 0),
          fixed(result.latency.p90, 0),
          fixed(result.latency.p99, 0),
          fixed(result.latency.max, 0),
          String(result.non2xx),
          String(result.errors + result.timeouts),
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7, 8]),
      ),
    );
  }
});
