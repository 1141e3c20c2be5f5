import { describe, expect, it } from "vitest";
import { loadConfig } from "@/lib/config";
import { servingAccessOf } from "./access";

/** The configuration a process would get from exactly these variables. */
const settingsOf = (env: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: "test", DATABASE_URL: "postgresql://root@127.0.0.1:5432/postgres", ...env });

describe("serving access settings", () => {
  it("binds to loopback and answers loopback names and the public URL's host by default, with no CORS", () => {
    const settings = settingsOf({ SERVING_PUBLIC_URL: "https://Models.Example.com/" });
    expect(settings.SERVING_HOST).toBe("127.0.0.1");
    expect(servingAccessOf(settings)).toEqual({
      allowedHosts: ["localhost", "127.0.0.1", "[::1]", "models.example.com"],
      corsOrigins: [],
    });
    expect(servingAccessOf(settingsOf()).allowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"]);
  });

  it("takes comma-separated host names and origins", () => {
    const settings = settingsOf({
      SERVING_ALLOWED_HOSTS: " models.internal, .example.com ,",
      SERVING_CORS_ORIGINS: "https://App.example.com,http://localhost:3000",
    });
    expect(servingAccessOf(settings)).toEqual({
      allowedHosts: ["models.internal", ".example.com"],
      corsOrigins: ["https://app.example.com", "http://localhost:3000"],
    });
  });

  it("refuses CORS entries that are not origins", () => {
    for (const entry of ["app.example.com", "https://app.example.com/", "https://bücher.example", "null"]) {
      expect(() => settingsOf({ SERVING_CORS_ORIGINS: entry }), entry).toThrow(
        /SERVING_CORS_ORIGINS: each entry must be an origin such as https:\/\/app.example.com/,
      );
    }
    expect(servingAccessOf(settingsOf({ SERVING_CORS_ORIGINS: "*" })).corsOrigins).toEqual(["*"]);
  });
});
