import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";

/**
 * Process inspection through Linux /proc: the process tree under a pid, RSS per process, and which
 * process owns a listening socket (`next start` may hand requests to a child process).
 */

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    // The process exited between listing and reading.
    return undefined;
  }
}

/** Parent pid from /proc/<pid>/stat; the command name may contain spaces and parentheses. */
function parentOf(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** `root` and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export function commandLine(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean).join(" ");
}

/** A `Vm*` field of /proc/<pid>/status in bytes (VmRSS: resident now, VmHWM: resident peak). */
export function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  const status = readText(`/proc/${pid}/status`);
  const match = status?.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"));
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Resets the kernel's peak-RSS mark (VmHWM) so it covers only what follows; false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (readText(table) ?? "").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const localPort = parseInt(fields[1]?.split(":")[1] ?? "", 16);
      // State 0A is LISTEN.
      if (localPort === port && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The process among `pids` that holds the socket listening on `port`. */
export function listeningPid(port: number, pids: readonly number[]): number | undefined {
  const inodes = listeningInodes(port);
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}

export interface RssSummary {
  samples: number;
  /** Largest VmRSS seen for the watched process. */
  peakBytes: number;
  /** Largest sum of VmRSS over the whole tree at one sample. */
  peakTreeBytes: number;
  /** Longest gap between two samples, to show the sampling kept its pace. */
  maxGapMs: number;
  values: number[];
}

/** Samples VmRSS of one process (and the sum over its tree) on a timer. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private summary: RssSummary = { samples: 0, peakBytes: 0, peakTreeBytes: 0, maxGapMs: 0, values: [] };
  private last = 0;

  constructor(
    private readonly pid: number,
    private readonly treeRoot: number,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.summary = { samples: 0, peakBytes: 0, peakTreeBytes: 0, maxGapMs: 0, values: [] };
    this.last = performance.now();
    let tree = processTree(this.treeRoot);
    this.sample(tree);
    this.timer = setInterval(() => {
      // Listing /proc costs more than reading one status file: refresh the tree once a second.
      if (this.summary.samples % 20 === 0) tree = processTree(this.treeRoot);
      this.sample(tree);
    }, this.intervalMs);
  }

  stop(): RssSummary {
    clearInterval(this.timer);
    this.sample(processTree(this.treeRoot));
    return this.summary;
  }

  private sample(tree: readonly number[]): void {
    const now = performance.now();
    if (this.summary.samples > 0) this.summary.maxGapMs = Math.max(this.summary.maxGapMs, now - this.last);
    this.last = now;
    const rss = statusBytes(this.pid, "VmRSS") ?? 0;
    const treeRss = tree.reduce((sum, pid) => sum + (statusBytes(pid, "VmRSS") ?? 0), 0);
    this.summary.samples += 1;
    this.summary.values.push(rss);
    this.summary.peakBytes = Math.max(this.summary.peakBytes, rss);
    this.summary.peakTreeBytes = Math.max(this.summary.peakTreeBytes, treeRss);
  }
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (the unit of the CPU times in /proc/<pid>/stat), usually 100. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const answer = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const value = Number(answer.stdout?.trim());
    clockTicks = answer.status === 0 && value > 0 ? value : 100;
  }
  return clockTicks;
}

/** User + system CPU seconds from a /proc stat file (a process's or a thread's); 0 when it is gone. */
function statCpuSeconds(file: string): number {
  const stat = readText(file);
  if (stat === undefined) return 0;
  // Fields after the command name: state is field 3, utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds the main thread of a process has used so far: for a Node.js server, its event loop
 * (the HTTP thread), without worker threads or onnxruntime's and libuv's pools.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU seconds used so far by `root` and every process under it. */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** CPU seconds all cores have spent busy (not idle or waiting for I/O) since boot, from /proc/stat. */
export function machineBusySeconds(): number {
  const line = (readText("/proc/stat") ?? "").split("\n", 1)[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const busy = ticks.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return busy / ticksPerSecond();
}
