// The launcher's watchdog: it outlives the launcher by design (its own session), reads the process
// groups the launcher started on stdin ("+<pgid> <signal>", "-<pgid>"), and when stdin closes, the
// launcher is gone (stopped, crashed or killed with SIGKILL), so whatever is still listed is stopped:
// the signal given, then SIGKILL after a grace period. Plain JavaScript, so it starts in milliseconds.
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

const GRACE_MS = 10_000;
const groups = new Map();

const alive = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
const signal = (pgid, name) => {
  try {
    process.kill(-pgid, name);
  } catch {
    // Already gone.
  }
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const match = /^([+-])(\d+)(?: (SIG[A-Z]+))?$/.exec(line.trim());
    if (!match) return;
    if (match[1] === "+") groups.set(Number(match[2]), match[3] ?? "SIGTERM");
    else groups.delete(Number(match[2]));
  })
  .on("close", async () => {
    for (const [pgid, name] of groups) signal(pgid, name);
    const deadline = Date.now() + GRACE_MS;
    while (Date.now() < deadline && [...groups.keys()].some(alive)) {
      await sleep(100);
    }
    for (const pgid of groups.keys()) if (alive(pgid)) signal(pgid, "SIGKILL");
    process.exit(0);
  });
