import net from "node:net";
import { describe, expect, it } from "vitest";
import { createDb } from "@/lib/db";
import { apiErrorSchema } from "@/lib/registry/schemas";
import { api } from "../fixtures/api";

/** A loopback port nothing listens on: connections to it are refused. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const globals = globalThis as { modelyardDb?: ReturnType<typeof createDb> };

describe("GET /api/health", () => {
  it("answers 200 with a database round trip", async () => {
    const response = await api("GET", "/api/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers 503 in the JSON error form while the database refuses connections", async () => {
    // The route uses the process-wide client; point it at a database that is not there.
    const working = globals.modelyardDb;
    const unreachable = createDb(`postgresql://root@127.0.0.1:${await refusedPort()}/postgres`);
    globals.modelyardDb = unreachable;
    try {
      const response = await api("GET", "/api/health");
      expect(response.status).toBe(503);
      expect(apiErrorSchema.parse(await response.json()).error).toEqual({
        code: "unavailable",
        message: "the database cannot be reached; the service answers again once it is back",
      });
    } finally {
      globals.modelyardDb = working;
      await unreachable.$disconnect();
    }
    expect((await api("GET", "/api/health")).status).toBe(200);
  });
});
