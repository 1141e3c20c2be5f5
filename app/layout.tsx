import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { TopBar } from "@/components/layout/top-bar";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Modelyard", template: "%s · Modelyard" },
  description: "Self-hosted model registry: versions, stages, jobs.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page, the not-found page included, renders per request: Next can put the request's CSP
  // nonce (proxy.ts) only on scripts it renders then, and a prerendered page's scripts would be blocked.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:shadow"
        >
          Skip to content
        </a>
        <TopBar />
        <main id="main" className="mx-auto max-w-7xl px-4 py-6 sm:px-6">
          {children}
        </main>
      </body>
    </html>
  );
}
