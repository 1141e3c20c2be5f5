import { NextResponse, type NextRequest } from "next/server";
import { requestRefusal } from "@/lib/api/request-policy";
import { pageContentSecurityPolicy } from "@/lib/http/security-headers";

/**
 * Runs before every page, static file and Next asset: refuses a Host the web app does not answer to
 * and state-changing requests from other sites (the rules apiRoute applies to the API), and gives
 * each page a Content-Security-Policy with a fresh nonce, which Next reads from the request's
 * header and puts on the scripts it renders. The other security headers come from next.config.ts.
 */
export function proxy(request: NextRequest): Response {
  const refusal = requestRefusal(request);
  if (refusal) {
    return Response.json(
      { error: { code: refusal.code, message: refusal.message } },
      { status: refusal.status, headers: { "cache-control": "no-store" } },
    );
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = pageContentSecurityPolicy(nonce, { development: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // Not the API: Next copies the body of every request a proxy sees into memory (and cuts it at
  // 10 MB), which would break streamed uploads. API routes get the same checks from apiRoute.
  matcher: ["/((?!api/|api$).*)"],
};
