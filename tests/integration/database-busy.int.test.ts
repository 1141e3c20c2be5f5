import { describe, expect, it } from "vitest";
import { errorResponse, toAppError } from "@/lib/api/handler";
import { db } from "@/lib/db";
import { classifyDatabaseError } from "@/lib/db/errors";

/** node-postgres' default pool size, which Prisma's adapter keeps: the connections a burst shares. */
const POOL_SIZE = 10;

/** Every connection of the pool taken by a transaction that sleeps for `seconds`. */
function holdEveryConnection(seconds: number): Promise<unknown>[] {
  return Array.from({ length: POOL_SIZE }, () =>
    db().$transaction(async (tx) => tx.$queryRaw`SELECT 1 AS held FROM pg_sleep(${seconds})`, { timeout: 10_000 }),
  );
}

describe("a database busy with other requests", () => {
  it("answers a transaction that could not start in time with a 503 to retry, not a 500", async () => {
    const holders = holdEveryConnection(1.5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const starved = await db()
      .$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 50 })
      .then(
        () => null,
        (error: unknown) => error,
      );
    await Promise.all(holders);

    expect(classifyDatabaseError(starved)).toBe("busy");
    const response = errorResponse(toAppError(starved));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toEqual({
      error: { code: "unavailable", message: expect.stringContaining("try again in a few seconds") },
    });
  });

  it("lets a transaction wait seconds for a connection while a burst holds them all", async () => {
    // Longer than Prisma's default 2-second wait for a transaction to start.
    const holders = holdEveryConnection(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waited = await db().$transaction(async (tx) => tx.$queryRaw<{ answer: number }[]>`SELECT 42 AS answer`);
    await Promise.all(holders);
    expect(waited).toEqual([{ answer: 42 }]);
  });
});
