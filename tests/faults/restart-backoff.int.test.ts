import { afterEach, describe, expect, it } from "vitest";
import { startProcess, type ManagedProcess } from "@/scripts/lib/platform";
import { waitUntil } from "../fixtures/serving";

/**
 * The launcher's restart policy on a real child that keeps dying: each death is reported with its
 * exit code or signal and the last lines of its stderr, restarts back off, and `stop` ends it all.
 */
let child: ManagedProcess | undefined;
const said: string[] = [];
const write = process.stderr.write.bind(process.stderr);

afterEach(async () => {
  await child?.stop();
  process.stderr.write = write;
});

function captureStderr(): void {
  said.length = 0;
  process.stderr.write = ((chunk: string | Uint8Array) => said.push(String(chunk)) > 0) as typeof process.stderr.write;
}

const reports = () => said.filter((line) => line.includes("stopped unexpectedly"));

describe("a child that keeps dying", () => {
  it("is restarted with a growing delay, and each time the launcher says why", async () => {
    captureStderr();
    const script = "console.error('loading the model'); console.error('out of luck: no such table'); process.exit(3)";
    child = startProcess("crasher", process.execPath, ["-e", script], {});
    child.restartOnExit({ initialDelayMs: 100, maxDelayMs: 400, stableAfterMs: 60_000 });
    await waitUntil(() => reports().length >= 4, "four deaths", 20_000);
    const [first, ...rest] = reports();
    expect(first).toMatch(
      /^\[modelyard\] crasher stopped unexpectedly \(exit code 3\) after [\d.]+ s; restarting it in 0\.1 s/,
    );
    expect(first).toContain("    out of luck: no such table");
    expect(rest.map((line) => /restarting it in ([\d.]+) s/.exec(line)?.[1])).toEqual(["0.2", "0.4", "0.4"]);
    expect(child.restarts).toBeGreaterThanOrEqual(3);
  });

  it("reports a signal, and is not restarted once stopped", async () => {
    captureStderr();
    child = startProcess("sleeper", process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], {});
    child.restartOnExit({ initialDelayMs: 100, maxDelayMs: 100, stableAfterMs: 60_000 });
    const first = child.child.pid!;
    process.kill(first, "SIGKILL");
    await waitUntil(() => child!.restarts === 1 && child!.child.pid !== first, "the restart", 10_000);
    expect(reports()[0]).toMatch(/sleeper stopped unexpectedly \(killed by SIGKILL\)/);
    const second = child.child;
    await child.stop();
    expect(second.signalCode).toBe("SIGTERM");
    // Three times the restart delay: a restart would have happened by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(child.restarts, "no restart after stop").toBe(1);
  });
});
