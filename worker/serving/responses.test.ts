import { describe, expect, it } from "vitest";
import type { RequestId } from "@/lib/serving/request-id";
import { rawJsonResponse, responseHeaders, UnsafeHeaderError } from "./responses";

describe("responseHeaders", () => {
  it("builds every header from typed fields", () => {
    expect(
      responseHeaders({
        contentType: "application/json",
        contentLength: 12,
        requestId: "r-1" as RequestId,
        cors: { origin: "https://app.example.com" },
        options: { retryAfterSeconds: 0.2, allow: ["GET", "POST"], close: true },
      }),
    ).toEqual({
      "content-type": "application/json",
      "content-length": 12,
      "x-request-id": "r-1",
      "retry-after": 1,
      allow: "GET, POST",
      connection: "close",
      "access-control-allow-origin": "https://app.example.com",
      vary: "Origin",
      "access-control-expose-headers": "x-request-id, retry-after",
    });
  });

  it("refuses a value that is not visible ASCII instead of letting Node throw while answering", () => {
    for (const requestId of ["a\nb", "\r\nSet-Cookie: x", "caf\u00e9", "\u0100", "😀"]) {
      // The type admits only checked ids; the check on the way out holds even if that is bypassed.
      expect(() => responseHeaders({ requestId: requestId as RequestId })).toThrow(UnsafeHeaderError);
    }
  });

  it("writes a whole JSON error response for the socket", () => {
    const body = JSON.stringify({ error: "the URL is too long" });
    expect(rawJsonResponse(414, "the URL is too long")).toBe(
      `HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
});
