import { describe, expect, it } from "vitest";
import { hostName, isAllowedHost, parseList } from "./origins";

describe("host rules", () => {
  it("parses comma-separated settings", () => {
    expect(parseList(" Example.com, ,localhost ")).toEqual(["example.com", "localhost"]);
    expect(parseList(undefined)).toEqual([]);
  });

  it("takes the name from a Host header with or without a port", () => {
    expect(hostName("Example.COM:3000")).toBe("example.com");
    expect(hostName("[::1]:8501")).toBe("[::1]");
    expect(hostName("localhost")).toBe("localhost");
  });

  it("allows listed names, domains given with a leading dot, and * for any", () => {
    const allowed = ["localhost", ".models.example"];
    expect(isAllowedHost("localhost:3000", allowed)).toBe(true);
    expect(isAllowedHost("models.example", allowed)).toBe(true);
    expect(isAllowedHost("eu.models.example:443", allowed)).toBe(true);
    expect(isAllowedHost("attacker.example", allowed)).toBe(false);
    expect(isAllowedHost("evilmodels.example", allowed)).toBe(false);
    expect(isAllowedHost(undefined, allowed)).toBe(false);
    expect(isAllowedHost("anything", ["*"])).toBe(true);
  });
});
