#!/usr/bin/env node
// Installs dependencies and generates the Prisma client when they are missing or stale.
// Plain JavaScript so it runs on a fresh clone before anything else is installed.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (
  !existsSync("node_modules/.package-lock.json") ||
  mtime("package-lock.json") > mtime("node_modules/.package-lock.json")
) {
  console.error("[modelyard] installing dependencies (npm install)");
  run("npm", ["install", "--no-audit", "--no-fund"]);
}
if (mtime("prisma/schema.prisma") > mtime("lib/db/generated/client.ts")) {
  console.error("[modelyard] generating the Prisma client");
  // The CLI reads the schema's datasource URL but does not connect for `generate`.
  run("npx", ["prisma", "generate"], { DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://localhost/modelyard" });
}
