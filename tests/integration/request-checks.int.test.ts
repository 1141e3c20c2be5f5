import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { apiErrorSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";
import { expectError } from "../fixtures/assertions";
import { createModel, uniqueName } from "../fixtures/registry";

process.env.WEB_PUBLIC_URL = "https://models.example.com";
process.env.ALLOWED_ORIGINS = "http://127.0.0.1:8888";

const APP_ROOT = path.resolve(import.meta.dirname, "../..");
const STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"] as const;
type Handler = (req: Request, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

/** Every handler of every API route file, found on disk, so a route added later is walked too. */
async function everyApiHandler(): Promise<{ route: string; method: string; handler: Handler }[]> {
  const files = (await readdir(path.join(APP_ROOT, "app/api"), { recursive: true })).filter(
    (file) => path.basename(file) === "route.ts",
  );
  const handlers = [];
  for (const file of files) {
    const routeModule = (await import(path.join(APP_ROOT, "app/api", file))) as Record<string, unknown>;
    for (const method of ["GET", ...STATE_CHANGING]) {
      const handler = routeModule[method];
      if (typeof handler === "function") handlers.push({ route: file, method, handler: handler as Handler });
    }
  }
  return handlers;
}

const params = Promise.resolve({ name: "no-such-model", version: "1", id: "x", path: ["x"] });

async function call(handler: Handler, method: string, headers: Record<string, string>, body?: string) {
  const request = new Request("http://127.0.0.1:3000/api/route", { method, headers, body });
  const response = await handler(request, { params });
  return { status: response.status, body: apiErrorSchema.parse(await response.json()) };
}

describe("requests the web API refuses before any route runs", () => {
  it("walks every route: other hosts, cross-site state changes and undocumented body types are refused", async () => {
    const handlers = await everyApiHandler();
    expect(handlers.length).toBeGreaterThan(30);
    for (const { route, method, handler } of handlers) {
      const where = `${method} ${route}`;
      const rebound = await call(handler, method, { host: "attacker.example:3000" });
      expect(rebound.status, where).toBe(400);
      expect(rebound.body.error.message, where).toMatch(/does not answer to the host name 'attacker.example'/);
      if (method === "GET") continue;

      const fromAnotherSite = { host: "127.0.0.1:3000", "content-type": "application/json" };
      for (const headers of [
        { ...fromAnotherSite, origin: "http://attacker.example" },
        { ...fromAnotherSite, origin: "http://127.0.0.1:4000" },
        { ...fromAnotherSite, origin: "null" },
        { ...fromAnotherSite, "sec-fetch-site": "cross-site" },
      ]) {
        const refused = await call(handler, method, headers, "{}");
        expect(refused.status, where).toBe(403);
        expect(refused.body.error.code, where).toBe("forbidden");
        expect(refused.body.error.message, where).toMatch(/^cross-site requests may not change anything/);
      }
      const plainText = await call(handler, method, { "content-type": "text/plain;charset=UTF-8" }, "{}");
      expect(plainText.status, where).toBe(415);
      expect(plainText.body.error.message, where).toMatch(/the request's Content-Type was 'text\/plain;charset=UTF-8'/);
    }
  });

  it("creates nothing from a text/plain form that looks like JSON, sent from another site or not", async () => {
    const name = uniqueName("csrf");
    const formBody = `{"name":"${name}","x":"=1"}`;
    await expectError(
      await api("POST", "/api/models", {
        body: formBody,
        headers: { "content-type": "text/plain", origin: "http://attacker.example", "sec-fetch-site": "cross-site" },
      }),
      403,
      /sent by a page on 'http:\/\/attacker.example', not on this server\. To let a page on another origin call the API, add its origin to ALLOWED_ORIGINS$/,
    );
    await expectError(
      await api("POST", "/api/models", { body: formBody, headers: { "content-type": "text/plain" } }),
      415,
      /^this endpoint takes a JSON body: send it with Content-Type: application\/json; the request's Content-Type was 'text\/plain'$/,
    );
    await expectError(
      await api("POST", "/api/models", {
        body: formBody,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      /Content-Type: application\/json/,
    );
    await expectError(
      await api("POST", "/api/models", {
        body: new TextEncoder().encode(formBody),
        headers: { "content-length": String(formBody.length) },
      }),
      415,
      /the request has a body but no Content-Type$/,
    );
    expect(await db().registeredModel.count({ where: { name } })).toBe(0);
  });

  it("lets the dashboard, listed origins and scripts without Origin change things", async () => {
    const sameOrigin = await api("POST", "/api/models", {
      json: { name: uniqueName("dashboard") },
      headers: { host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000", "sec-fetch-site": "same-origin" },
    });
    expect(sameOrigin.status).toBe(201);
    const behindProxy = await api("POST", "/api/models", {
      json: { name: uniqueName("proxied") },
      headers: { host: "models.example.com", origin: "https://models.example.com" },
    });
    expect(behindProxy.status).toBe(201);
    const notebook = await api("POST", "/api/models", {
      json: { name: uniqueName("notebook") },
      headers: { host: "127.0.0.1:3000", origin: "http://127.0.0.1:8888", "sec-fetch-site": "same-site" },
    });
    expect(notebook.status).toBe(201);
    const script = await api("POST", "/api/models", {
      body: JSON.stringify({ name: uniqueName("script") }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(script.status).toBe(201);
    // A state change without a body needs no Content-Type (curl -X POST, fetch without a body).
    const model = await createModel();
    const deploy = await api("POST", `/api/models/${model.name}/endpoint`, { headers: { "content-length": "0" } });
    await expectError(deploy, 409, /promote one first/);
    expect((await api("DELETE", `/api/models/${model.name}`)).status).toBe(204);
  });

  it("answers the loopback names, the public URL's host and nothing else", async () => {
    for (const host of ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "models.example.com", "LOCALHOST"]) {
      expect((await api("GET", "/api/models", { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ["attacker.example", "127.0.0.1.attacker.example", "models.example.com.attacker.example"]) {
      await expectError(
        await api("GET", "/api/models", { headers: { host } }),
        400,
        /^this server does not answer to the host name '.+'; if it is one of this server's names, add it to ALLOWED_HOSTS$/,
      );
    }
  });
});
