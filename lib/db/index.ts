export { db, createDb, type Db } from "./client";
export * from "./generated/enums";
export { Prisma } from "./generated/client";
