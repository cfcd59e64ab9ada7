/** Cheap observers that help explain outliers: GC pauses in this process, CPU time of a process. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import { hrMs } from "./clock.js";

export interface GcTally {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Full (mark-compact) collections among them, and their longest pause. */
  major: number;
  majorMaxMs: number;
}

/** perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR */
const GC_MAJOR = 4;

/** One GC pause: performance.now() in this process, bench/clock.ts for a child's (ChildGcTrace). */
export interface GcPause {
  start: number;
  duration: number;
  /** perf_hooks GC kind (1 minor, 4 major, 8 incremental, 16 weak callbacks). */
  kind: number;
}

function count(tally: GcTally, pause: GcPause): void {
  tally.count++;
  tally.totalMs += pause.duration;
  tally.maxMs = Math.max(tally.maxMs, pause.duration);
  if (pause.kind === GC_MAJOR) {
    tally.major++;
    tally.majorMaxMs = Math.max(tally.majorMaxMs, pause.duration);
  }
}

const emptyTally = (): GcTally => ({ count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 });

export interface GcWatch {
  tally: GcTally;
  pauses: GcPause[];
}

/** Records this process's GC pauses until the returned function is called. */
export function watchGc(): () => Promise<GcWatch> {
  const tally = emptyTally();
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      const pause = { start: entry.startTime, duration: entry.duration, kind };
      count(tally, pause);
      pauses.push(pause);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return async () => {
    // GC entries are delivered asynchronously; let the last ones in before disconnecting.
    await new Promise((resolve) => setTimeout(resolve, 0));
    observer.disconnect();
    return { tally, pauses };
  };
}

/** GC time (ms) of `pauses` that falls inside [from, to]. */
export function gcWithin(pauses: readonly GcPause[], from: number, to: number): number {
  let total = 0;
  for (const pause of pauses) {
    const overlap = Math.min(to, pause.start + pause.duration) - Math.max(from, pause.start);
    if (overlap > 0) total += overlap;
  }
  return total;
}

let clockTicks: number | undefined;
/** USER_HZ, the unit of CPU times in /proc (getconf CLK_TCK). */
export const ticksPerSecond = (): number => {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
};

/** User + system CPU time of a process so far, ms (10 ms resolution with the usual CLK_TCK). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond();
}

/** This process's own CPU time so far, ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * GC pauses of a child server preloaded with bench/gc-probe.mjs, read from its stdout. The probe
 * stamps pauses on the machine's monotonic clock (bench/clock.ts), the clock of every window here.
 */
export class ChildGcTrace {
  private readonly reported: GcPause[] = [];
  private partial = "";

  constructor(stdout: NodeJS.ReadableStream) {
    stdout.on("data", (chunk: Buffer | string) => {
      const lines = (this.partial + String(chunk)).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith('{"benchGc"')) continue;
        const { benchGc } = JSON.parse(line) as { benchGc: GcPause };
        this.reported.push({ start: benchGc.start, duration: benchGc.duration, kind: benchGc.kind ?? 0 });
      }
    });
  }

  /** Starts a window; the returned function ends it and gives the pauses that began inside. */
  watch(): () => Promise<GcWatch> {
    const from = hrMs();
    return async () => {
      const to = hrMs();
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the last lines arrive
      const pauses = this.reported.filter((p) => p.start >= from && p.start <= to);
      const tally = emptyTally();
      for (const p of pauses) count(tally, p);
      return { tally, pauses };
    };
  }
}
