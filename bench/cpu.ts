/**
 * CPU accounting from /proc: a window's CPU time of given processes, and the share of the
 * machine's CPU that went to everything else (other users of the machine, not part of the run).
 * That share is printed with each figure: a ratio taken while something else was busy is noise.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, all its threads, seconds. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0; // exited
  }
}

/** utime + stime of the processes, seconds (one that exited meanwhile counts 0). */
export function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}

/** A process and its descendants (a server forks its render processes). */
export function processTree(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // exited
  }
  for (const task of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (list) children.push(...list.split(" ").map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return [pid, ...children.flatMap(processTree)];
}

/** CPU time the whole machine spent busy (all but idle and iowait), seconds summed over its CPUs. */
export function machineBusySeconds(): number {
  return machineCpuSeconds().busy;
}

/** The machine's CPU time so far, busy and in all, seconds summed over its CPUs. */
function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** Every process of this run: this one and its descendants (servers, load process, redis-server). */
export function runPids(): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (ours.has(pid) || !ours.has(parent)) continue;
      ours.add(pid);
      grew = true;
    }
  }
  return [...ours];
}

export interface CpuWindow {
  /** CPU seconds of `pid` in the window. */
  of(pid: number): number;
  /** Share of the machine's CPU (all cores) used by processes outside this run, 0–1. */
  othersShare: number;
  seconds: number;
}

/** Starts a window; `end()` closes it. `extra` are processes of the run that are not our descendants (none so far). */
export function cpuWindow(extra: number[] = []): { end(): CpuWindow } {
  const pids = [...new Set([...runPids(), ...extra])];
  const before = new Map(pids.map((pid) => [pid, processCpuSeconds(pid)]));
  const machine = machineCpuSeconds();
  const started = performance.now();
  return {
    end() {
      const after = machineCpuSeconds();
      const now = [...new Set([...runPids(), ...extra])];
      let run = 0;
      const used = new Map<number, number>();
      for (const pid of now) {
        const seconds = processCpuSeconds(pid) - (before.get(pid) ?? 0);
        used.set(pid, seconds);
        run += seconds;
      }
      const total = after.total - machine.total;
      const others = Math.max(0, after.busy - machine.busy - run);
      return { of: (pid) => used.get(pid) ?? 0, othersShare: total > 0 ? others / total : 0, seconds: (performance.now() - started) / 1000 };
    },
  };
}
