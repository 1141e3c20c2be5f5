import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { migrate } from "@/lib/db/migrate";
import { createDatabase, dropDatabase } from "./lib/databases";
import {
  nextBin,
  playwrightBin,
  runToCompletion,
  startServing,
  startWeb,
  startWorker,
  vitestBin,
  waitForHttp,
} from "./lib/platform";
import { ensurePostgres, ensureRedis, findFreePort } from "./lib/services";
import { CONFORMANCE_TAG, TESTDATA_DIR } from "@/tests/support/testdata";

/**
 * `npm test`: every test. Unit and integration tests (Vitest, real PostgreSQL, Redis and
 * onnxruntime), then the end-to-end tests (Playwright in Chromium) against a production build of
 * the web app and a real worker. Services come from DATABASE_URL / REDIS_URL, else embedded ones.
 *   --only unit|e2e   run one part
 *   -- <args>         passed to Playwright, e.g. `-- e2e/endpoints.spec.ts` to run one spec file
 */
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const playwrightArgs = process.argv.includes("--") ? process.argv.slice(process.argv.indexOf("--") + 1) : [];
const runVitest = only === undefined || only === "unit";
const runE2e = only === undefined || only === "e2e";

const postgres = await ensurePostgres({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: path.resolve(".data/test"),
  database: "postgres",
});
const redis = await ensureRedis({ redisUrl: process.env.REDIS_URL });
const baseEnv = {
  DATABASE_URL: postgres.url,
  REDIS_URL: redis.url,
  NEXT_TELEMETRY_DISABLED: "1",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
};
await mkdir("test-results", { recursive: true });

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { assertionResults: { fullName: string; ancestorTitles: string[]; status: string }[] }[];
}

/** Conformance tests (see tests/support/conformance.ts) skipped because their corpus is absent, and their suites. */
let conformanceSkipped = 0;
const conformanceSuitesSkipped = new Set<string>();

async function addVitestCounts(file: string) {
  const report = JSON.parse(await readFile(file, "utf8")) as VitestReport;
  tally.passed += report.numPassedTests;
  tally.failed += report.numFailedTests;
  tally.skipped += report.numPendingTests + report.numTodoTests;
  for (const result of report.testResults) {
    for (const test of result.assertionResults) {
      if (test.fullName.includes(CONFORMANCE_TAG) && (test.status === "pending" || test.status === "skipped")) {
        conformanceSkipped += 1;
        conformanceSuitesSkipped.add(
          test.ancestorTitles.find((title) => title.includes(CONFORMANCE_TAG)) ?? test.fullName,
        );
      }
    }
  }
}

/** Says what did not run for want of the third-party corpus; under CI an absent corpus is a failure. */
function reportConformance(): number {
  if (conformanceSkipped === 0) return 0;
  const where = existsSync(TESTDATA_DIR)
    ? `parts of the corpus are missing under ${TESTDATA_DIR}`
    : `there is no corpus at ${TESTDATA_DIR}`;
  const suites = [...conformanceSuitesSkipped].map((suite) => suite.replace(CONFORMANCE_TAG, "").trim());
  console.log(
    `conformance: ${suites.length} conformance suites did not run (${suites.join("; ")}; ${conformanceSkipped} tests counted as skipped): ${where}; set TESTDATA_DIR to the third-party test files`,
  );
  if (process.env.CI === "true") {
    console.log("conformance: CI=true requires the corpus, so this run fails");
    return 1;
  }
  return 0;
}

async function addPlaywrightCounts(file: string) {
  const report = JSON.parse(await readFile(file, "utf8")) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  tally.passed += report.stats.expected;
  tally.failed += report.stats.unexpected + report.stats.flaky;
  tally.skipped += report.stats.skipped;
}

try {
  if (runVitest) {
    const code = await runToCompletion(
      vitestBin,
      ["run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json"],
      baseEnv,
    );
    await addVitestCounts("test-results/vitest.json").catch(() => (tally.failed += code === 0 ? 0 : 1));
    if (code !== 0) exitCode = code;
  }
  if (runE2e) {
    exitCode = (await runEndToEnd()) || exitCode;
  }
} finally {
  await redis.stop();
  await postgres.stop();
}
console.log("");
exitCode = reportConformance() || exitCode;
console.log(`tests: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
process.exit(exitCode || (tally.failed > 0 ? 1 : 0));

async function runEndToEnd(): Promise<number> {
  const buildCode = await runToCompletion(nextBin, ["build"], baseEnv);
  if (buildCode !== 0) {
    tally.failed += 1;
    return buildCode;
  }
  const database = `modelyard_e2e_${process.pid}`;
  await dropDatabase(postgres.url, database);
  const databaseUrl = await createDatabase(postgres.url, database);
  await migrate(databaseUrl);
  const env = {
    ...baseEnv,
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: `modelyard-e2e:${process.pid}`,
    DATA_DIR: path.resolve(`.data/e2e-${process.pid}`),
    MAX_UPLOAD_BYTES: String(50 * 1024 * 1024),
  };
  const port = await findFreePort(3100);
  const servingPort = await findFreePort(8600);
  const servingEnv = {
    ...env,
    SERVING_PUBLIC_URL: `http://127.0.0.1:${servingPort}`,
    SERVING_METRICS_FLUSH_MS: "1000",
  };
  const web = startWeb(servingEnv, port, "start", true);
  const worker = startWorker(env, true);
  const serving = startServing(servingEnv, servingPort, true);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, 120_000, web);
    await waitForHttp(`http://127.0.0.1:${servingPort}/v2/health/live`, 60_000, serving);
    const code = await runToCompletion(playwrightBin, ["test", ...playwrightArgs], {
      ...servingEnv,
      E2E_BASE_URL: `http://127.0.0.1:${port}`,
    });
    await addPlaywrightCounts("test-results/playwright.json").catch(() => (tally.failed += code === 0 ? 0 : 1));
    return code;
  } finally {
    await Promise.allSettled([web.stop(), worker.stop(), serving.stop()]);
    await dropDatabase(postgres.url, database);
    const { rm } = await import("node:fs/promises");
    await rm(env.DATA_DIR, { recursive: true, force: true });
  }
}
