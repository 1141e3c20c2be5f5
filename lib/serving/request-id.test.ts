import { describe, expect, it } from "vitest";
import { isValidRequestId, requestIdProblem } from "./request-id";

describe("request ids", () => {
  it("takes 1 to 128 visible ASCII characters", () => {
    for (const id of ["r1", "550e8400-e29b-41d4-a716-446655440000", "trace:abc/DEF+=~!", "x".repeat(128)]) {
      expect(isValidRequestId(id), id).toBe(true);
    }
    for (const id of ["", "a b", "a\nb", "a\tb", "\u0000", "caf\u00e9", "\u0100", "数据", "😀", "x".repeat(129)]) {
      expect(isValidRequestId(id), JSON.stringify(id)).toBe(false);
    }
  });

  it("says what is wrong, naming where the id came from", () => {
    expect(requestIdProblem("ok", "'id'")).toBeNull();
    expect(requestIdProblem(5, "'id'")).toBe("'id' must be a string");
    expect(requestIdProblem("x".repeat(300), "the X-Request-Id header")).toBe(
      "the X-Request-Id header must be 1 to 128 visible ASCII characters (letters, digits and punctuation; no spaces, control or non-ASCII characters) (it has 300)",
    );
  });
});
