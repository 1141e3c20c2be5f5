import { db as defaultDb, type Db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

/** A database that takes longer than this to answer `SELECT 1` is reported as unavailable. */
export const HEALTH_TIMEOUT_MS = 5000;

/**
 * Liveness plus a database round trip, for load balancers and the launcher: while the database
 * cannot be reached the answer is 503 (the server is up, the service is not), never a 500.
 */
export async function checkHealth(database: Db = defaultDb()): Promise<{ status: "ok" }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([database.$queryRaw`SELECT 1`, timeout]);
  } catch (error) {
    log.warn({ err: error }, "health check: the database did not answer");
    throw new AppError("unavailable", "the database cannot be reached; the service answers again once it is back");
  } finally {
    clearTimeout(timer);
  }
  return { status: "ok" };
}
