import { apiRoute } from "@/lib/api/handler";
import { db } from "@/lib/db";

/** Liveness plus a database round trip, for load balancers and the launcher. */
export const GET = apiRoute(async () => {
  await db().$queryRaw`SELECT 1`;
  return { status: "ok" };
});
