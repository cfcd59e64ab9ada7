/** The machine the figures come from, and what it allows. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { ticksPerSecond } from "./probes.js";

export interface SystemInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  totalMemoryBytes: number;
  node: string;
  platform: string;
  redisServer: string;
  openFilesLimit: number;
}

const run = (file: string, args: string[]): string => {
  try {
    return execFileSync(file, args, { encoding: "utf8", timeout: 5_000 }).trim();
  } catch {
    return "unknown";
  }
};

/** `ulimit -n` as this process (and its children) inherit it. */
export function openFilesLimit(): number {
  const raw = run("sh", ["-c", "ulimit -n"]);
  return raw === "unlimited" ? Number.POSITIVE_INFINITY : Number(raw) || 1024;
}

export function systemInfo(): SystemInfo {
  return {
    date: new Date().toISOString(),
    nproc: Number(run("nproc", [])) || os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    redisServer: /v=(\S+)/.exec(run("redis-server", ["--version"]))?.[1] ?? "unknown",
    openFilesLimit: openFilesLimit(),
  };
}

/**
 * The largest viewer count a descriptor limit allows: each viewer costs one descriptor in the
 * load process and one in the server, each its own process.
 */
export function viewerCap(limit: number): number {
  const reserve = 200; // stdio, Redis connections, the API socket, node internals
  return Math.max(1, limit - reserve);
}

export interface CpuSnapshot {
  /** Busy and total CPU time of the whole machine, seconds (all CPUs), from /proc/stat. */
  machineBusy: number;
  machineTotal: number;
  /** This process plus its reaped children (servers, redis-server), seconds, from /proc/self/stat. */
  own: number;
}

export interface OtherLoad {
  /** CPU-seconds used by processes other than this run's, and their share of the machine's capacity. */
  otherSeconds: number;
  otherShare: number;
  ownSeconds: number;
  wallSeconds: number;
}

/** Busy and total CPU time of the whole machine so far (all CPUs), ms, from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const ticks = ticksPerSecond();
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: (busy * 1000) / ticks, total: ((busy + idle + iowait) * 1000) / ticks };
}

/** Take the second snapshot after every child has exited, so their time is in `own`. */
export function cpuSnapshot(): CpuSnapshot {
  const ticks = ticksPerSecond();
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const busy = user + nice + system + irq + softirq + steal;
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const own = (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
  return { machineBusy: busy / ticks, machineTotal: (busy + idle + iowait) / ticks, own: own / ticks };
}

export function otherLoad(start: CpuSnapshot, end: CpuSnapshot, wallSeconds: number): OtherLoad {
  const busy = end.machineBusy - start.machineBusy;
  const ownSeconds = end.own - start.own;
  const otherSeconds = Math.max(0, busy - ownSeconds);
  const capacity = end.machineTotal - start.machineTotal;
  return { otherSeconds, otherShare: capacity > 0 ? otherSeconds / capacity : 0, ownSeconds, wallSeconds };
}
