"use client";

import { useEffect } from "react";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";

/**
 * The error boundary for every page. It never shows the error's message or stack (server
 * messages can hold internals); the digest lets an operator find the entry in the server log.
 */
export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && "digest" in error && typeof error.digest === "string" ? error.digest : null;

  useEffect(() => {
    console.error(error);
  }, [error]);

  return (
    <EmptyState
      className="mt-10"
      title="Something went wrong"
      description={
        <>
          <p>The page could not be loaded. This is usually temporary: try again in a moment.</p>
          {digest && <p className="mt-2 font-mono text-xs text-zinc-500">Reference: {digest}</p>}
        </>
      }
      action={
        <Button variant="primary" onClick={() => retry()}>
          Try again
        </Button>
      }
    />
  );
}
