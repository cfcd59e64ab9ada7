/**
 * `npm run bench`: render speed, then fan-out on the memory store (in-process) and on Redis
 * (server as a child process). Prints a table and writes bench/RESULTS.md and bench/results.json.
 * Bounded: a hard deadline stops everything, and every child process is stopped on any exit path.
 */
import { fileURLToPath } from "node:url";
import { benchFanout, type FanoutOptions, type FanoutResult } from "./fanout.js";
import { benchRender } from "./render.js";
import { printTables, writeReports, type BenchResults } from "./report.js";
import { cpuSnapshot, otherLoad, systemInfo, viewerCap } from "./system.js";
import { cleanup, spawnRedisServerTarget, startMemoryInProcess, startRedis, type Target } from "./targets.js";

const VIEWER_COUNTS = [100, 1_000];
const FANOUT: Omit<FanoutOptions, "viewers"> = { updates: 200, warmupUpdates: 20, updateTimeoutMs: 15_000, settleMs: 300 };
const DEADLINE_MS = 170_000;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const log = (message: string) => console.error(`[bench] ${message}`);

/** One fan-out row per viewer count, each on a fresh server so RSS baselines are clean. */
async function fanoutRows(
  start: () => Promise<Target>,
  inProcess: boolean,
  openFiles: number,
  notes: string[],
): Promise<FanoutResult[]> {
  const rows: FanoutResult[] = [];
  const cap = viewerCap(openFiles, inProcess);
  for (const wanted of VIEWER_COUNTS) {
    const viewers = Math.min(wanted, cap);
    if (viewers < wanted) {
      const note = `ulimit -n is ${openFiles}: ${wanted} viewers capped to ${viewers} (${inProcess ? "in-process" : "child"} server)`;
      notes.push(note);
      log(note);
    }
    const target = await start();
    try {
      log(`fan-out: ${target.store} (${target.host}), ${viewers} viewers`);
      rows.push(await benchFanout(target, { ...FANOUT, viewers }));
    } finally {
      await target.stop();
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const started = performance.now();
  const system = systemInfo();
  const cpuStart = cpuSnapshot();
  const notes: string[] = [];
  log(`nproc ${system.nproc}, Node ${system.node}, ulimit -n ${system.openFilesLimit}`);

  log("render: Renderer.parse + render vs template literal");
  const render = await benchRender();

  const fanout = await fanoutRows(startMemoryInProcess, true, system.openFilesLimit, notes);
  log("starting a dedicated redis-server");
  const redis = await startRedis();
  try {
    fanout.push(...(await fanoutRows(() => spawnRedisServerTarget(redis.url), false, system.openFilesLimit, notes)));
  } finally {
    await redis.stop();
  }

  // Every child has exited by now, so its CPU time is counted as this run's own.
  const durationSeconds = (performance.now() - started) / 1000;
  const others = otherLoad(cpuStart, cpuSnapshot(), durationSeconds);
  if (others.otherShare > 0.05) {
    notes.push(
      `other processes used ${(others.otherShare * 100).toFixed(0)}% of the machine's CPU during this run ` +
        `(${others.otherSeconds.toFixed(1)} CPU-s): figures, tails most of all, are inflated by that contention`,
    );
  }

  const results: BenchResults = {
    command: "npm run bench",
    system,
    durationSeconds,
    cpu: others,
    notes,
    render,
    fanout,
  };
  printTables(results);
  writeReports(results, here("RESULTS.md"), here("results.json"));
  log("wrote bench/RESULTS.md and bench/results.json");
}

/** Stops every child (bounded: the 'exit' hooks SIGKILL whatever is left), then exits. */
async function stopAndExit(code: number): Promise<never> {
  const timer = setTimeout(() => process.exit(code), 10_000);
  await cleanup();
  clearTimeout(timer);
  process.exit(code);
}

const deadline = setTimeout(() => {
  log(`deadline of ${DEADLINE_MS / 1000} s reached; stopping`);
  void stopAndExit(1);
}, DEADLINE_MS);
deadline.unref();

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
