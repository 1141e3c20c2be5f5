import { apiRoute } from "@/lib/api/handler";
import { checkHealth } from "@/lib/api/health";

/** Liveness plus a database round trip, for load balancers and the launcher (503 while the database is away). */
export const GET = apiRoute(async () => checkHealth());
