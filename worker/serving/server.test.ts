import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, rawRequest } from "@/tests/fixtures/http";
import { ModelHost } from "./model-host";
import { ServingMetrics } from "./prometheus";
import { createServingServer } from "./server";

/**
 * The replica's HTTP front with no deployments: what a request can do to it before any model is
 * involved. Its log is collected, to see what it says about requests it could not answer.
 */
const logged: { level: number; msg: string }[] = [];
const log = pino(
  new Writable({
    write(line: Buffer, _encoding, done) {
      logged.push(JSON.parse(line.toString()) as { level: number; msg: string });
      done();
    },
  }),
);
const host = new ModelHost({ artifactPath: () => "", intraOpThreads: 1, log });
// An origin no header can carry (a configuration mistake): answering such a request must fail alone.
const UNSENDABLE_ORIGIN = "https://bücher.example";
const server = createServingServer({
  host,
  metrics: new ServingMetrics(),
  log,
  maxBodyBytes: 1024,
  serverVersion: "test",
  access: { allowedHosts: ["127.0.0.1"], corsOrigins: ["https://app.example.com", UNSENDABLE_ORIGIN] },
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await host.close();
});

describe("serving HTTP front", () => {
  it("closes the connection of a request it cannot answer, logs why, and keeps answering others", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const request = Buffer.concat([
        Buffer.from("GET /v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: "),
        Buffer.from(UNSENDABLE_ORIGIN, "latin1"),
        Buffer.from("\r\n\r\n"),
      ]);
      const answer = await rawRequest(url, request);
      expect(answer.status).toBe(0); // closed without an answer
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(logged.map((line) => line.msg)).toContain("could not answer a request; closing its connection");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(await call(`${url}/v2`, { headers: { origin: "https://app.example.com" } })).toMatchObject({
      status: 200,
      headers: { "access-control-allow-origin": "https://app.example.com", vary: "Origin" },
    });
  });

  it("answers the body limit, a body that is not JSON and a missing Host header with JSON errors", async () => {
    const tooLarge = await call(`${url}/v2/models/m/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(2048),
    });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toEqual({
      error: "the request body is larger than 1024 bytes (SERVING_MAX_BODY_BYTES)",
    });
    const noHost = await rawRequest(url, "GET /v2 HTTP/1.0\r\n\r\n");
    expect(noHost.status).toBe(421);
    expect(JSON.parse(noHost.body).error).toMatch(/no Host header/);
  });
});
