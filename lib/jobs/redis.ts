import { Redis, type RedisOptions } from "ioredis";
import { config } from "@/lib/config";

/** BullMQ needs `maxRetriesPerRequest: null` on connections used by workers (blocking commands). */
export function createRedis(options: RedisOptions = {}): Redis {
  return new Redis(config().REDIS_URL, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}
