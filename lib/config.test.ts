import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, MAX_MODEL_FILE_BYTES } from "./config";

const base = { NODE_ENV: "test", DATABASE_URL: "postgresql://root@127.0.0.1:5432/modelyard" } as const;

describe("configuration", () => {
  it("lets model uploads reach what onnxruntime can read, and refuses a limit past it with the reason", () => {
    expect(MAX_MODEL_FILE_BYTES).toBe(2 ** 31 - 1);
    expect(loadConfig(base).MAX_UPLOAD_BYTES).toBe(2 ** 31 - 1);
    expect(loadConfig({ ...base, MAX_UPLOAD_BYTES: String(2 ** 31 - 1) }).MAX_UPLOAD_BYTES).toBe(2 ** 31 - 1);
    const twoGiB = () => loadConfig({ ...base, MAX_UPLOAD_BYTES: String(2 * 1024 ** 3) });
    expect(twoGiB).toThrow(ConfigError);
    expect(twoGiB).toThrow(
      /MAX_UPLOAD_BYTES: at most 2147483647 \(2 GiB − 1 byte\): onnxruntime cannot read a larger model file/,
    );
  });

  it("answers loopback names, the public URL's host and ALLOWED_HOSTS", () => {
    expect(loadConfig(base).allowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    const configured = loadConfig({
      ...base,
      WEB_PUBLIC_URL: "https://Models.Example.com/",
      ALLOWED_HOSTS: "gpu-box, .corp.example, [fd00::1]",
    });
    expect(configured.allowedHosts).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "models.example.com",
      "gpu-box",
      ".corp.example",
      "[fd00::1]",
    ]);
    expect(loadConfig({ ...base, ALLOWED_HOSTS: "*" }).allowedHosts).toContain("*");
    expect(() => loadConfig({ ...base, ALLOWED_HOSTS: "example.com:3000" })).toThrow(
      /ALLOWED_HOSTS: 'example.com:3000' is not a host name: list names or addresses without scheme or port/,
    );
    expect(() => loadConfig({ ...base, ALLOWED_HOSTS: "https://example.com" })).toThrow(/is not a host name/);
  });

  it("takes ALLOWED_ORIGINS as origins only, with the public URL's origin", () => {
    const configured = loadConfig({
      ...base,
      WEB_PUBLIC_URL: "https://models.example.com:443/dashboard",
      ALLOWED_ORIGINS: "http://127.0.0.1:8888, HTTPS://Notebooks.Example.com/",
    });
    expect(configured.allowedOrigins).toEqual([
      "http://127.0.0.1:8888",
      "https://notebooks.example.com",
      "https://models.example.com",
    ]);
    expect(loadConfig(base).allowedOrigins).toEqual([]);
    for (const entry of ["notebooks.example.com", "https://a.example/path", "ftp://a.example", "null"]) {
      expect(() => loadConfig({ ...base, ALLOWED_ORIGINS: entry })).toThrow(/ALLOWED_ORIGINS: .* is not an origin/);
    }
  });
});
