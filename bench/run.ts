/**
 * `npm run bench`: the real server against bare baselines measured in the same run, every figure
 * printed as a ratio (machines are noisy; a ratio taken minutes apart on the same machine is
 * what carries over). Three kinds of process: this one (sends updates, reads RSS, runs autocannon),
 * the server under test, and the load process holding the viewers.
 *
 *   npm run bench                   render, /health under hostile renders, 1,000, 5,000 and 10,000 viewers
 *                                   (fan-out, admission, RSS, answers, /health during the 10,000 fan-out),
 *                                   writes over 1,000 sessions vs bare SET + PUBLISH and bare /put, 10 writers vs 1
 *   npm run bench -- --quick        a smoke test (also BENCH_QUICK=1): 200 viewers, short loops
 *   npm run bench -- --profile      also save raw .cpuprofile files under bench/profiles/<run>/
 *
 * Bounded: every loop has a count and a time limit, a hard deadline stops the run, and every
 * child process is stopped on any exit path.
 */
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { measureFanout, measureIdleRss, type FanoutPlan, type FanoutResult } from "./fanout.js";
import { measureHostile } from "./hostile.js";
import { abbaOrder, firstLine, openFilesSoft, orderText, ROOT, runBenchmark, spawnBare, spawnOurs, spawnTsx, startRedisProcess, terminate, type ServerKind } from "./processes.js";
import type { RenderResult } from "./render.js";
import { printTable, rows, writeResults, type Measured } from "./report.js";
import { meanOfRuns } from "./stats.js";
import { bareSubject, oursSubject, type Subject } from "./subjects.js";
import { measureWrites, WRITE_ORDER } from "./writes.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick") || process.env["BENCH_QUICK"] === "1";
const profiling = args.includes("--profile");

const common = { connectTimeoutMs: 30_000, updateTimeoutMs: 30_000, connectConcurrency: 100, quietMs: 20 };
/**
 * `runs`: how many times each server is measured (default 1). `settleMs`: each RSS reading's
 * window; quick mode's 3 s is too short for V8 to give the young generation back, so its RSS row
 * is a smoke figure only.
 */
const ROUNDS: (FanoutPlan & { runs?: number })[] = quick
  ? [{ ...common, viewers: 200, updates: 20, warmupUpdates: 3, pauseMs: 500, settleMs: 3_000, admitViewers: 200, probeHealth: true }]
  : [
      // Four runs at 1,000: there one server process's figures differ from the next one's by more
      // than the targets' margins (docs/FACTS.md), and a run costs a third of one at 5,000.
      { ...common, viewers: 1_000, updates: 100, warmupUpdates: 10, pauseMs: 2_000, settleMs: 12_000, admitViewers: 1_000, probeHealth: false, runs: 4 },
      { ...common, viewers: 5_000, updates: 60, warmupUpdates: 5, pauseMs: 2_000, settleMs: 12_000, admitViewers: 5_000, probeHealth: false, runs: 2 },
      // No admission here: the server's MAX_STREAMS (10,000) is reached.
      { ...common, viewers: 10_000, updates: 40, warmupUpdates: 5, pauseMs: 2_000, settleMs: 12_000, admitViewers: 0, probeHealth: true },
    ];
/** Writes: random PATCHes over many sessions, then one session. */
const WRITES = quick
  ? { sessions: 200, connections: 50, seconds: 3, warmupSeconds: 1 }
  : { sessions: 1_000, connections: 50, seconds: 10, warmupSeconds: 2 };
/** Each window of the /health figure: idle, then under hostile renders. */
const HOSTILE_WINDOW_MS = quick ? 3_000 : 10_000;
/** The whole run stops here, whatever it is doing. */
const DEADLINE_MS = quick ? 240_000 : 1_500_000;
/** Each viewer holds one descriptor in the server and one in the load process; both inherit our limit. */
const RESERVED_FILES = 200;

const startedAt = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}`);
const runName = new Date().toISOString().replace(/[:.]/g, "-");
const profileDir = join(ROOT, "bench", "profiles", runName);
const profiles: string[] = [];
const notes: string[] = [];

async function renderInChild(): Promise<RenderResult> {
  const nodeArgs = profiling ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-name=render.cpuprofile"] : [];
  const child = spawnTsx("render.ts", { nodeArgs, args: quick ? ["--quick"] : [] });
  try {
    const result = await firstLine(child, (line) => (line.startsWith("{") ? (JSON.parse(line) as RenderResult) : undefined), 240_000);
    // Let it exit on its own (bounded): --cpu-prof writes the profile then.
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(null);
      child.once("exit", resolve);
      setTimeout(resolve, 20_000).unref();
    });
    if (profiling) profiles.push(join(profileDir, "render.cpuprofile"));
    return result;
  } finally {
    await terminate(child, 2_000);
  }
}

/** A fresh server for `measure`, stopped after it. */
async function withServer<T>(kind: ServerKind, redisUrl: string, file: string | null, measure: (subject: Subject) => Promise<T>): Promise<T> {
  const server = kind === "ours" ? await spawnOurs(redisUrl, file) : await spawnBare(file);
  let subject: Subject | null = null;
  try {
    subject = kind === "ours" ? await oursSubject(server) : await bareSubject(server);
    return await measure(subject);
  } finally {
    subject?.close();
    await server.stop();
  }
}

/** Memory with `plan.viewers` idle viewers on one fresh server, then answers, fan-out and admission on another. */
async function runServer(kind: ServerKind, redisUrl: string, plan: FanoutPlan): Promise<FanoutResult> {
  const memory = await withServer(kind, redisUrl, null, (subject) => measureIdleRss(subject, plan, log));
  const file = profiling ? join(profileDir, `${kind}-${plan.viewers}.cpuprofile`) : null;
  const fanout = await withServer(kind, redisUrl, file, (subject) => measureFanout(subject, plan, log));
  if (fanout.profile) profiles.push(fanout.profile);
  return { ...fanout, ...memory };
}

async function main(): Promise<void> {
  if (profiling) mkdirSync(profileDir, { recursive: true });
  const measured: Measured = { render: null, fanout: [], writes: null, hostile: null };

  log("render: Liquid, satori, resvg vs a template literal (child process)");
  measured.render = await renderInChild();

  log(`hostile renders: /health idle, then under F1-F3 (${HOSTILE_WINDOW_MS / 1000} s each)`);
  measured.hostile = await measureHostile(HOSTILE_WINDOW_MS);
  if (measured.hostile.unexpected > 0) notes.push(`${measured.hostile.unexpected} hostile renders were not answered with a 4xx`);

  const redisServer = await startRedisProcess();
  const redisUrl = redisServer.url;
  const cap = openFilesSoft() - RESERVED_FILES;
  for (const wanted of ROUNDS) {
    const viewers = Math.min(wanted.viewers, cap);
    const plan = { ...wanted, viewers, admitViewers: Math.min(wanted.admitViewers, cap - viewers) };
    if (plan.viewers < wanted.viewers || plan.admitViewers < wanted.admitViewers) {
      notes.push(`open files limit: ${wanted.viewers} + ${wanted.admitViewers} viewers capped to ${plan.viewers} + ${plan.admitViewers} (raise ulimit -n)`);
    }
    const runs = wanted.runs ?? 1;
    // Run to run on one quiet machine a figure moves 10–20 %: ABBA pairs (abbaOrder), their means.
    const order = abbaOrder(runs);
    const sequence = orderText(order);
    log(`fan-out: ${plan.viewers} viewers, ${runs === 1 ? "real server then bare broadcaster" : `${runs} runs each: ${sequence}`}`);
    const results: Record<ServerKind, FanoutResult[]> = { ours: [], bare: [] };
    for (const kind of order) results[kind].push(await runServer(kind, redisUrl, plan));
    const ours = meanOfRuns(results.ours);
    const bare = meanOfRuns(results.bare);
    if (runs > 1) notes.push(`fan-out at ${plan.viewers.toLocaleString("en-US")} viewers: each figure the mean of ${runs} runs (${sequence})`);
    measured.fanout.push({ viewers: plan.viewers, ours, bare });
    if (ours.sameFrame === false) notes.push("the real server's frame differs from the baseline's: fan-out ratios compare different work");
  }
  log(`writes: ${WRITES.sessions} sessions, ${WRITES.connections} concurrent, ${WRITES.seconds} s each`);
  measured.writes = await measureWrites(redisServer, WRITES, log);
  notes.push(`writes vs bare SET + PUBLISH and vs bare /put: each figure the mean of ${WRITE_ORDER.length / 2} runs (${orderText(WRITE_ORDER)})`);
  const { redis, memory, oneSession } = measured.writes;
  for (const [label, figure] of Object.entries({ "Redis, ours": redis.ours, "Redis, bare": redis.bare, "raw loop": redis.raw, "memory, ours": memory.ours, "bare /put": memory.bare, "10 writers": oneSession.ten, "1 writer": oneSession.one })) {
    if (figure.failed > 0) notes.push(`writes (${label}): ${figure.failed} requests failed`);
  }

  const table = rows(measured);
  printTable(table, notes);
  const resultsFile = join(ROOT, "bench", "results.json");
  writeResults(resultsFile, { mode: quick ? "quick" : "full", command: `npm run bench -- ${args.join(" ")}`.trim(), notes, profiles }, table, measured);
  log(`wrote ${relative(ROOT, resultsFile)}`);
  for (const file of profiles) console.log(`cpu profile: ${relative(ROOT, file)}`);
}

runBenchmark(main, DEADLINE_MS, log);
