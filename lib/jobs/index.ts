export * from "./queues";
export * from "./enqueue";
export { createRedis } from "./redis";
export { publicErrorMessage } from "./public-error";
