import { describe, expect, it } from "vitest";
import { describeThreadDeath } from "./session-client";

describe("describeThreadDeath", () => {
  const thread = { heapMb: 256, isolation: "thread" as const };
  const child = { heapMb: 256, isolation: "process" as const };

  it("names running out of memory and the setting that bounds it", () => {
    const outOfMemory = Object.assign(
      new Error("Worker terminated due to reaching memory limit: JS heap out of memory"),
      {
        code: "ERR_WORKER_OUT_OF_MEMORY",
      },
    );
    expect(describeThreadDeath(outOfMemory, thread)).toBe(
      "the session thread ran out of memory (limit 256 MB, SERVING_SESSION_HEAP_MB)",
    );
    const stderr =
      "<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory";
    expect(describeThreadDeath({ exitCode: null, signal: "SIGABRT", stderr }, child)).toBe(
      "the session process ran out of memory (limit 256 MB, SERVING_SESSION_HEAP_MB)",
    );
  });

  it("tells a crash, a kill and an exit apart", () => {
    expect(describeThreadDeath(new Error("boom"), thread)).toBe("the session thread crashed: boom");
    expect(describeThreadDeath({ exitCode: null, signal: "SIGSEGV", stderr: "" }, child)).toBe(
      "the session process crashed (SIGSEGV)",
    );
    expect(describeThreadDeath({ exitCode: null, signal: "SIGKILL" }, child)).toBe(
      "the session process was killed (SIGKILL: the machine may have run out of memory)",
    );
    expect(describeThreadDeath({ exitCode: 1 }, thread)).toBe("the session thread exited unexpectedly (code 1)");
  });
});
