/**
 * Servers under test, and the bookkeeping that guarantees every child process is stopped:
 * each start registers its stop with `cleanup`, and a process 'exit' hook SIGKILLs leftovers.
 */
import { readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChildGcTrace } from "./probes.js";
import { MemoryStore } from "../runtime/stores/memory.js";
import { startInProcess, spawnServer } from "../test/support/server.js";
import { startRedisServer, type RedisProcess } from "../test/support/redis.js";

export interface Target {
  store: "memory" | "redis";
  /** Where the server runs: inside the benchmark's own process, or as its own child process. */
  host: "in-process" | "child";
  url: string;
  /** The server's pid when it is a child process (for its RSS). */
  pid?: number;
  /** The child server's GC pauses (reported by bench/gc-probe.mjs). */
  serverGc?: ChildGcTrace;
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;
const stops = new Set<Stop>();
const children = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Runs `stop` once, and forgets it from the cleanup list. */
function register(stop: Stop): Stop {
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

const withTimeout = <T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(fallback()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

export async function startMemoryInProcess(): Promise<Target> {
  const running = await startInProcess(new MemoryStore(), { LOG_LEVEL: "silent", SHUTDOWN_GRACE_MS: "2000" });
  return {
    store: "memory",
    host: "in-process",
    url: running.url,
    stop: register(() => running.shutdown()),
  };
}

export async function startRedis(): Promise<RedisProcess> {
  const redis = await startRedisServer();
  register(() => redis.stop());
  return redis;
}

const GC_PROBE = fileURLToPath(new URL("gc-probe.mjs", import.meta.url));

/**
 * The real entry point as a child process on Redis; SIGTERM, then SIGKILL after 5 s. It is
 * preloaded with gc-probe.mjs, which reports GC pauses on stdout (next to the request log).
 */
export async function spawnRedisServerTarget(redisUrl: string): Promise<Target> {
  const server = await spawnServer({
    REDIS_URL: redisUrl,
    SHUTDOWN_GRACE_MS: "2000",
    NODE_OPTIONS: `--import ${pathToFileURL(GC_PROBE).href}`,
  });
  const serverGc = new ChildGcTrace(server.process.stdout!);
  children.add(server.process);
  const stop = async () => {
    await withTimeout(server.stop("SIGTERM"), 5_000, () => {
      server.process.kill("SIGKILL");
      return null;
    });
    children.delete(server.process);
  };
  return { store: "redis", host: "child", url: server.url, pid: server.process.pid!, serverGc, stop: register(stop) };
}

/** Resident set size of a process, bytes, from /proc/<pid>/status. */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
