/**
 * Every child process of a run (the real server, the bare broadcaster, redis-server, the load
 * process, the render benchmark) and the bookkeeping that guarantees each is stopped: every start
 * registers its stop for `cleanup`, and an 'exit' hook SIGKILLs whatever is left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startRedisServer, type RedisProcess } from "../test/support/redis.js";
import { spawnServer, type ServerProcess } from "../test/support/server.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROFILER = pathToFileURL(fileURLToPath(new URL("cpu-profiler.mjs", import.meta.url))).href;
const HEAP_SETTLE = pathToFileURL(fileURLToPath(new URL("heap-settle.mjs", import.meta.url))).href;

type Stop = () => Promise<void>;
const stops = new Set<Stop>();
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Wraps `stop` so it runs once, and remembers it for `cleanup` until then. */
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
  for (const stop of [...stops].reverse()) await stop().catch((error: unknown) => console.error("cleanup:", error));
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once `child` has exited. */
export function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** `node [nodeArgs] --import tsx bench/<script> [args]` from the repository root, with only PATH and `env`. */
export function spawnTsx(script: string, options: { nodeArgs?: string[]; args?: string[]; env?: Record<string, string> } = {}): ChildProcess {
  const { nodeArgs = [], args = [], env = {} } = options;
  return track(
    spawn(process.execPath, [...nodeArgs, "--import", "tsx", join("bench", script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
}

/** Resolves with the first stdout line `accept` takes; rejects on exit or after `timeoutMs` (stderr attached). */
export function firstLine<T>(child: ChildProcess, accept: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${stderr}`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const value = accept(line);
      if (value === undefined) return;
      clearTimeout(timer);
      lines.removeAllListeners("line");
      resolve(value);
    });
  });
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The window of bench/cpu-profiler.mjs inside a server: `stop` resolves with the .cpuprofile's path. */
export interface CpuProfile {
  start(): Promise<void>;
  stop(): Promise<string>;
}

function cpuProfile(pid: number, file: string): CpuProfile {
  return {
    async start() {
      process.kill(pid, "SIGUSR2");
      await waitForFile(`${file}.started`, 10_000);
      rmSync(`${file}.started`);
    },
    async stop() {
      process.kill(pid, "SIGUSR2");
      await waitForFile(file, 30_000);
      return file;
    },
  };
}

export type ServerKind = "ours" | "bare";

/**
 * `runs` measurements of each server, in pairs, every second pair in the other order (ABBA): real,
 * bare, bare, real, … One server process's figures differ from the next one's, and the machine
 * drifts; alternating cancels some of both, and each figure is the mean of its server's runs.
 */
export const abbaOrder = (runs: number): ServerKind[] => Array.from({ length: runs }, (_, i): ServerKind[] => (i % 2 === 0 ? ["ours", "bare"] : ["bare", "ours"])).flat();

/** An order as the run's log and notes print it ("real, bare, bare, real"). */
export const orderText = (order: readonly ServerKind[]): string => order.map((kind) => (kind === "ours" ? "real" : "bare")).join(", ");

export interface Server {
  kind: ServerKind;
  url: string;
  pid: number;
  /** Present when the server was started with a profile file. */
  profile: CpuProfile | null;
  stop(): Promise<void>;
}

/** A server under test's preloads: the heap-settle hook (settledRss), and the profiler when it profiles. */
const serverEnv = (file: string | null): Record<string, string> => {
  const preloads = `--expose-gc --import ${HEAP_SETTLE}`;
  return file ? { NODE_OPTIONS: `${preloads} --import ${PROFILER}`, BENCH_CPU_PROFILE: file } : { NODE_OPTIONS: preloads };
};

/** A dedicated, non-persistent redis-server on 127.0.0.1 (test/support/redis.ts); resolves with its URL. */
export async function startRedis(): Promise<string> {
  return (await startRedisProcess()).url;
}

/** As startRedis, with the process (its pid: the writes rows count Redis's CPU per write). */
export async function startRedisProcess(): Promise<RedisProcess> {
  const redis = await startRedisServer();
  register(() => redis.stop());
  return redis;
}

let built: Promise<void> | undefined;

/**
 * Compiles the server once per bench run (npm run build): the benches measure what `npm start`
 * and the image run, dist/runtime/node/main.js, not the sources through tsx.
 */
export function buildServer(): Promise<void> {
  return (built ??= new Promise<void>((resolve, reject) => {
    const child = spawn("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += String(chunk)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}:\n${stderr}`))));
  }));
}

/**
 * The real server as every bench starts it (test/support/server.ts): compiled (buildServer), its
 * request log written as in production but drained unread by this, the load process.
 */
export async function spawnBenchServer(env: Record<string, string>): Promise<ServerProcess> {
  await buildServer();
  return spawnServer(env, [], { keepLogs: false, built: true });
}

/** The real entry point (the compiled runtime/node/main.ts) on Redis, as a replica runs it. */
export async function spawnOurs(redisUrl: string, profileFile: string | null): Promise<Server> {
  const server = await spawnBenchServer({ REDIS_URL: redisUrl, SHUTDOWN_GRACE_MS: "2000", ...serverEnv(profileFile) });
  track(server.process);
  const pid = server.process.pid!;
  const stop = register(() => terminate(server.process));
  return { kind: "ours", url: server.url, pid, profile: profileFile ? cpuProfile(pid, profileFile) : null, stop };
}

/** bench/bare-broadcaster.ts, started the way the real server is (node --import tsx). */
export async function spawnBare(profileFile: string | null): Promise<Server> {
  const child = spawnTsx("bare-broadcaster.ts", { env: serverEnv(profileFile) });
  const stop = register(() => terminate(child));
  try {
    const url = await firstLine(child, (line) => (line.startsWith('{"msg":"listening"') ? (JSON.parse(line) as { url: string }).url : undefined), 20_000);
    return { kind: "bare", url, pid: child.pid!, profile: profileFile ? cpuProfile(child.pid!, profileFile) : null, stop };
  } catch (error) {
    await stop();
    throw new Error(`bare broadcaster: ${(error as Error).message}`, { cause: error });
  }
}

/** Resident memory of a process now (VmRSS), bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The median of 5 readings 200 ms apart: RSS moves with GC and allocator timing. */
export async function medianRss(pid: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    values.push(rssBytes(pid));
  }
  return values.sort((a, b) => a - b)[2]!;
}

/**
 * RSS once the heap has settled, for a server started by spawnOurs or spawnBare: every second for
 * `windowMs` it asks for two full garbage collections (bench/heap-settle.mjs) and reads VmRSS; the
 * median of the last three readings. The young generation the collections leave empty is given
 * back a few seconds later, not at once (seen 6–9 s after the first request, docs/FACTS.md), so
 * the window is long and only its end counts.
 */
export async function settledRss(pid: number, windowMs: number): Promise<number> {
  const readings: number[] = [];
  const until = performance.now() + windowMs;
  do {
    process.kill(pid, "SIGWINCH");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    readings.push(rssBytes(pid));
  } while (performance.now() < until || readings.length < 3);
  return readings.slice(-3).sort((a, b) => a - b)[1]!;
}

/** This process's soft open-files limit; the servers and the load process inherit it. */
export function openFilesSoft(): number {
  const raw = /^Max open files\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
  return raw === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(raw);
}

/** Stops every child (bounded: the 'exit' hook SIGKILLs whatever is left), then exits. */
async function stopAndExit(code: number): Promise<never> {
  setTimeout(() => process.exit(code), 15_000).unref();
  await cleanup();
  process.exit(code);
}

/**
 * Runs a benchmark's main and exits: 0 when it resolved, 1 when it threw or ran past
 * `deadlineMs`, 130 on SIGINT/SIGTERM — always after stopping every process it started (cleanup).
 */
export function runBenchmark(main: () => Promise<void>, deadlineMs: number, log: (message: string) => void): void {
  setTimeout(() => {
    log(`deadline of ${deadlineMs / 1000} s reached; stopping`);
    void stopAndExit(1);
  }, deadlineMs).unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void stopAndExit(130);
    });
  }
  main().then(
    () => stopAndExit(0),
    (error: unknown) => {
      console.error(error);
      return stopAndExit(1);
    },
  );
}
