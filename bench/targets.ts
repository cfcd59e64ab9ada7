/**
 * Servers under test and the processes around them, and the bookkeeping that guarantees every
 * child process is stopped: each start registers its stop with `cleanup`, and a process 'exit'
 * hook SIGKILLs leftovers.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChildGcTrace } from "./probes.js";
import { spawnServer } from "../test/support/server.js";
import { startRedisServer, type RedisProcess } from "../test/support/redis.js";

export type ServerKind = "ours" | "baseline";

export interface ChildServer {
  kind: ServerKind;
  url: string;
  pid: number;
  /** The child's GC pauses (reported by bench/gc-probe.mjs). */
  gc: ChildGcTrace;
  /** The URL of bench/server-probe.mjs inside the server (memory figures, profiles). */
  probeUrl: string;
  stop(): Promise<void>;
}

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GC_PROBE = fileURLToPath(new URL("gc-probe.mjs", import.meta.url));
const SERVER_PROBE = fileURLToPath(new URL("server-probe.mjs", import.meta.url));
/** The descriptor limit asked for every process of the run (the hard limit may cap it). */
export const WANTED_OPEN_FILES = 65_536;

type Stop = () => Promise<void>;
const stops = new Set<Stop>();
const children = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Runs `stop` once, and forgets it from the cleanup list. */
export function register(stop: Stop): Stop {
  let done: Promise<void> | undefined;
  const once: Stop = () => {
    stops.delete(once);
    return (done ??= stop());
  };
  stops.add(once);
  return once;
}

/** Stops everything still running, newest first; never throws. */
export async function cleanup(): Promise<void> {
  for (const stop of [...stops].reverse()) {
    await stop().catch((error: unknown) => console.error("cleanup:", error));
  }
}

/** A child that the 'exit' hook kills if it is still running. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Resolves with the exit code once `child` has exited: SIGTERM first, SIGKILL after `graceMs`. */
export function terminate(child: ChildProcess, graceMs = 5_000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Spawns `command` through bash with the descriptor limit raised as far as the hard limit allows
 * (`ulimit -n 65536`, else `ulimit -n $(ulimit -Hn)`); exec keeps the pid the command's own.
 */
export function spawnWithOpenFiles(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const script = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  return track(spawn("bash", ["-c", script, "bench-open-files", command, ...args], options));
}

export async function startRedis(): Promise<RedisProcess> {
  const redis = await startRedisServer();
  register(() => redis.stop());
  return redis;
}

/** NODE_OPTIONS preloading both probes, and the file where the server probe writes its URL. */
function preloads(): { nodeOptions: string; probeFile: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "rsvg-bench-probe-"));
  return {
    nodeOptions: [GC_PROBE, SERVER_PROBE].map((file) => `--import ${pathToFileURL(file).href}`).join(" "),
    probeFile: join(dir, "url"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function probeUrl(file: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const url = readFileSync(file, "utf8").trim();
      if (url) return url;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the server probe did not report its port");
}

/**
 * The real entry point (runtime/node/main.ts, through test/support/server.ts's spawnServer) as a
 * child process on Redis, as a replica runs it; SIGTERM, then SIGKILL after 5 s. It inherits this
 * process's descriptor limit (bench/run.ts raises it for the whole run).
 */
export async function spawnOurs(redisUrl: string): Promise<ChildServer> {
  const pre = preloads();
  const server = await spawnServer({
    REDIS_URL: redisUrl,
    SHUTDOWN_GRACE_MS: "2000",
    NODE_OPTIONS: pre.nodeOptions,
    BENCH_PROBE_FILE: pre.probeFile,
  });
  track(server.process);
  const gc = new ChildGcTrace(server.process.stdout!);
  const stop = register(async () => {
    await terminate(server.process);
    pre.dispose();
  });
  try {
    return { kind: "ours", url: server.url, pid: server.process.pid!, gc, probeUrl: await probeUrl(pre.probeFile), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** bench/baseline-server.ts as its own process, started the way the real server is (node --import tsx). */
export async function spawnBaseline(): Promise<ChildServer> {
  const pre = preloads();
  const child = spawnWithOpenFiles(process.execPath, ["--import", "tsx", "bench/baseline-server.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env["PATH"] ?? "",
      NODE_OPTIONS: pre.nodeOptions,
      BENCH_PROBE_FILE: pre.probeFile,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = register(async () => {
    await terminate(child);
    pre.dispose();
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)));
  const gc = new ChildGcTrace(child.stdout!);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baseline did not start:\n${stderr}`)), 20_000);
      child.once("exit", (code) => reject(new Error(`baseline exited with ${code}:\n${stderr}`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith('{"msg":"listening"')) return;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      });
    });
    return { kind: "baseline", url, pid: child.pid!, gc, probeUrl: await probeUrl(pre.probeFile), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A server's memory as V8 and Node see it (bench/server-probe.mjs), bytes. */
export interface ServerMemory {
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Committed size of V8's young generation (new space), which grows with the allocation rate. */
  newSpace: number;
  /** Committed size of every other heap space (old, code, map, large-object…). */
  otherSpaces: number;
}

export async function readServerMemory(server: ChildServer): Promise<ServerMemory> {
  const response = await fetch(`${server.probeUrl}/memory`, { signal: AbortSignal.timeout(10_000) });
  const raw = (await response.json()) as {
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
    spaces: Record<string, { size: number; used: number }>;
  };
  const newSpace = raw.spaces["new_space"]?.size ?? 0;
  const all = Object.values(raw.spaces).reduce((total, space) => total + space.size, 0);
  return {
    heapTotal: raw.heapTotal,
    heapUsed: raw.heapUsed,
    external: raw.external,
    arrayBuffers: raw.arrayBuffers,
    newSpace,
    otherSpaces: all - newSpace,
  };
}

/** One field of /proc/<pid>/status in bytes (VmRSS: resident now; VmHWM: the peak so far). */
export function readStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) * 1024;
}

export const readRss = (pid: number): number => readStatusBytes(pid, "VmRSS");

/** The median of `reads` VmRSS readings `spacingMs` apart (RSS moves with GC and allocator timing). */
export async function medianRss(pid: number, reads = 5, spacingMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < reads; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, spacingMs));
    values.push(readRss(pid));
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

export interface OpenFiles {
  soft: number;
  hard: number;
}

/** "Max open files" of a running process, as the kernel enforces it (null: unlimited). */
export function openFilesOf(pid: number | "self"): OpenFiles {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
  const value = (raw: string | undefined) => (raw === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(raw));
  return { soft: value(line?.[1]), hard: value(line?.[2]) };
}
