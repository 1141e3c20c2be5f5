export * from "./queues";
export * from "./enqueue";
export { createRedis } from "./redis";
