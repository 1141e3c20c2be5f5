import { migrate } from "@/lib/db/migrate";
import { config } from "@/lib/config";

/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
const result = await migrate(config().DATABASE_URL);
console.log(
  result.applied.length > 0
    ? `applied ${result.applied.join(", ")}`
    : `database is up to date (${result.alreadyApplied} migrations)`,
);
