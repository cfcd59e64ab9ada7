/**
 * `npm run bench` (issue 3, item 6): render speed, then fan-out at scale on the Redis store
 * against a bare Node baseline, with three kinds of process: this one (updates, RSS, CLIENT LIST,
 * autocannon), the server under test, and a separate load process holding the viewers. Where a
 * target is missed, a profiling pass shows where the time and memory go. Prints tables and writes
 * bench/RESULTS.md and bench/results.json.
 *
 *   npm run bench                  profile only when a target is missed (at that viewer count and the largest)
 *   npm run bench -- --profile     always profile, at every viewer count;  -- --no-profile: never
 *   npm run bench -- --quick       a smoke test (100 and 1,000 viewers, few updates); its report goes to a temporary folder
 *
 * Bounded: a hard deadline stops everything, and every child process is stopped on any exit path.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { profilePass, resetProfileDir, type ProfileResult } from "./profile.js";
import { RedisClientProbe } from "./redis-clients.js";
import { benchRender } from "./render.js";
import { benchRenderKinds, renderKindsTable } from "./render-kinds.js";
import { printTables, writeReports, type BenchResults, type Ratio, type TargetCheck } from "./report.js";
import { baselineSubject, benchScale, oursSubject, type ScaleOptions, type ScaleResult, type Subject } from "./scale.js";
import { cpuSnapshot, otherLoad, systemInfo, viewerCap } from "./system.js";
import {
  cleanup,
  openFilesOf,
  register,
  ROOT,
  spawnBaseline,
  spawnOurs,
  spawnWithOpenFiles,
  startRedis,
  WANTED_OPEN_FILES,
  type ChildServer,
  type ServerKind,
} from "./targets.js";

const SCALE: Record<number, Omit<ScaleOptions, "viewers">> = {
  1_000: {
    updates: 100, warmupUpdates: 10, connectConcurrency: 100, connectTimeoutMs: 20_000, updateTimeoutMs: 15_000,
    settleMs: 2_000, rssSteps: 4, stepSettleMs: 1_000, flood: { connections: 10, durationSeconds: 10 },
  },
  10_000: {
    updates: 40, warmupUpdates: 5, connectConcurrency: 200, connectTimeoutMs: 30_000, updateTimeoutMs: 30_000,
    settleMs: 2_000, rssSteps: 4, stepSettleMs: 1_000,
  },
};
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const QUICK: Omit<ScaleOptions, "viewers"> = {
  updates: 20, warmupUpdates: 3, connectConcurrency: 100, connectTimeoutMs: 20_000, updateTimeoutMs: 15_000,
  settleMs: 500, rssSteps: 2, stepSettleMs: 500, flood: { connections: 10, durationSeconds: 2 },
};
const VIEWER_COUNTS = quick ? [100, 1_000] : [1_000, 10_000];
/** Targets (issue 3). */
const MAX_RSS_BYTES = 512 * 1024 * 1024;
const MAX_RATIO = 1.25;
const MAX_REDIS_CONNECTIONS = 3;
/** The whole run stops here, whatever it is doing; profiling is skipped if it would not fit. */
const DEADLINE_MS = 345_000;
/** What the profiling passes (real server and baseline) at 10,000 viewers may take; a quarter of it at fewer. */
const PROFILE_BUDGET_MS = 100_000;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const startedAt = performance.now();
const log = (message: string) =>
  console.error(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}`);
const profileMode = args.includes("--no-profile") ? "never" : args.includes("--profile") ? "always" : "auto";

/**
 * Children inherit this process's descriptor limit (the real server is spawned by the test
 * helper, without a shell): if the soft limit is below what the run wants and the hard limit
 * allows more, run again under `ulimit -n`.
 */
async function raiseOpenFiles(): Promise<void> {
  const own = openFilesOf("self");
  if (process.env["RSVG_BENCH_NOFILE"] || own.soft >= WANTED_OPEN_FILES || own.hard <= own.soft) return;
  log(`open files: soft ${own.soft}, hard ${own.hard}; running again under ulimit -n`);
  const child = spawnWithOpenFiles(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, RSVG_BENCH_NOFILE: "1" },
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
  process.exit(code);
}

async function startSubject(kind: ServerKind, redisUrl: string, tag: string): Promise<Subject> {
  const server: ChildServer = kind === "ours" ? await spawnOurs(redisUrl) : await spawnBaseline();
  try {
    return kind === "ours" ? await oursSubject(server, tag) : await baselineSubject(server, tag);
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function stopSubject(subject: Subject): Promise<void> {
  subject.close();
  await subject.server.stop();
}

function ratios(scale: ScaleResult[]): Ratio[] {
  const counts = [...new Set(scale.map((s) => s.viewers))];
  return counts.flatMap((viewers) => {
    const ours = scale.find((s) => s.server === "ours" && s.viewers === viewers);
    const base = scale.find((s) => s.server === "baseline" && s.viewers === viewers);
    if (!ours || !base) return [];
    const r = (a: number, b: number) => (b > 0 && a > 0 ? a / b : null);
    return [{
      viewers,
      p50: r(ours.afterResponseMs.p50, base.afterResponseMs.p50),
      p99: r(ours.afterResponseMs.p99, base.afterResponseMs.p99),
      max: r(ours.afterResponseMs.max, base.afterResponseMs.max),
      rssPerViewer: r(ours.rssPerViewerBytes, base.rssPerViewerBytes),
      // A slope under 2 KiB per viewer is within the noise of RSS readings: no ratio from it.
      rssMarginal:
        ours.rssMarginalPerViewerBytes !== null &&
        base.rssMarginalPerViewerBytes !== null &&
        Math.min(ours.rssMarginalPerViewerBytes, base.rssMarginalPerViewerBytes) >= 2_048
          ? r(ours.rssMarginalPerViewerBytes, base.rssMarginalPerViewerBytes)
          : null,
    }];
  });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function targets(scale: ScaleResult[], ratioRows: Ratio[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const big = scale.find((s) => s.server === "ours" && s.viewers === 10_000);
  checks.push({
    target: "10,000 concurrent viewers on one process inside 512 MiB RSS",
    measured: big
      ? `10,000 held and all got every update; RSS ${mib(big.rssAfterBytes)} idle with them, ${mib(big.rssAfterUpdatesBytes)} after the updates, peak ${mib(big.rssPeakBytes)} (VmHWM)`
      : "not run (viewer count capped)",
    met: big ? big.rssPeakBytes <= MAX_RSS_BYTES : null,
  });
  for (const r of ratioRows) {
    const ours = scale.find((s) => s.server === "ours" && s.viewers === r.viewers)!;
    const base = scale.find((s) => s.server === "baseline" && s.viewers === r.viewers)!;
    const n = r.viewers.toLocaleString("en-US");
    const fanout = (p: "p50" | "p99") => ({
      target: `fan-out ${p} within ${MAX_RATIO}× of baseline, ${n} viewers`,
      measured: `${ours.afterResponseMs[p].toFixed(2)} ms vs ${base.afterResponseMs[p].toFixed(2)} ms = ${r[p]?.toFixed(2) ?? "n/a"}×`,
      met: r[p] === null ? null : r[p] <= MAX_RATIO,
    });
    checks.push(fanout("p50"), fanout("p99"));
    checks.push({
      target: `RSS per idle viewer within ${MAX_RATIO}× of baseline, ${n} viewers`,
      measured: `${kib(ours.rssPerViewerBytes)} vs ${kib(base.rssPerViewerBytes)} = ${r.rssPerViewer?.toFixed(2) ?? "n/a"}×`,
      met: r.rssPerViewer === null ? null : r.rssPerViewer <= MAX_RATIO,
    });
  }
  const redisRows = scale.filter((s) => s.redisClients);
  const counts = redisRows.flatMap((s) => {
    const c = s.redisClients!;
    return [c.idle, c.withViewers, c.afterUpdates].map((x) => ({ viewers: s.viewers, ...x }));
  });
  const max = Math.max(...counts.map((c) => c.others));
  checks.push({
    target: `Redis connections per process ≤ ${MAX_REDIS_CONNECTIONS} whatever the number of viewers`,
    measured: counts.length
      ? `at most ${max} (${[...new Set(counts.map((c) => `${c.others} at ${c.viewers === 0 ? 0 : c.viewers.toLocaleString("en-US")}`))].join(", ")} viewers; ` +
        `named realtime-svg: ${Math.max(...counts.map((c) => c.named))})`
      : "not measured",
    met: counts.length ? max <= MAX_REDIS_CONNECTIONS : null,
  });
  return checks;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const list = <T>(items: T[], show: (item: T) => string, count = 5) => items.slice(0, count).map(show).join(", ");

/** For an RSS row: what V8 reports grew while the viewers connected, and what drives it. */
function rssGap(ours: ScaleResult, base: ScaleResult, profiles: ProfileResult[]): string {
  const n = ours.viewers;
  const heapUsed = (s: ScaleResult) => kib((s.memoryAfter.heapUsed - s.memoryBefore.heapUsed) / n);
  const young = (s: ScaleResult) => `${mib(s.memoryBefore.newSpace)} → ${mib(s.memoryAfter.newSpace)}`;
  const other = (s: ScaleResult) => mib(s.memoryAfter.otherSpaces - s.memoryBefore.otherSpaces);
  const alloc = (kind: ServerKind) => profiles.find((p) => p.server === kind)?.connectAllocations.bytesPerUpdate;
  const [oursAlloc, baseAlloc] = [alloc("ours"), alloc("baseline")];
  const rssGapBytes = (ours.rssAfterBytes - ours.rssBeforeBytes) - (base.rssAfterBytes - base.rssBeforeBytes);
  const youngGapBytes =
    ours.memoryAfter.newSpace - ours.memoryBefore.newSpace - (base.memoryAfter.newSpace - base.memoryBefore.newSpace);
  return (
    `- RSS per viewer at ${n.toLocaleString("en-US")} viewers: ${kib(ours.rssPerViewerBytes)} vs ${kib(base.rssPerViewerBytes)}. ` +
    `While the viewers connected, V8's heap used grew ${heapUsed(ours)} vs ${heapUsed(base)} per viewer (garbage not yet collected included), ` +
    `its young generation went ${young(ours)} vs ${young(base)}, its other spaces grew ${other(ours)} vs ${other(base)}.` +
    (rssGapBytes > 0 && youngGapBytes >= rssGapBytes / 2
      ? " Most of the gap is one more doubling of the young generation, a step V8 takes by allocation rate, not memory the viewers hold."
      : "") +
    (oursAlloc !== undefined && baseAlloc !== undefined
      ? ` The real server allocates ${kib(oursAlloc)} per connecting viewer, the baseline ${kib(baseAlloc)} (profiles below): at small N that ` +
        "garbage, not the viewers' own objects, decides how far the heap has grown when RSS is read."
      : "")
  );
}

/** For a fan-out row: where the real server's time differs from the baseline's, from the row's own figures. */
function fanoutGap(ours: ScaleResult, base: ScaleResult): string {
  return (
    `- Fan-out at ${ours.viewers.toLocaleString("en-US")} viewers: the first viewer has the frame ${ms(ours.firstAfterResponseMs.p50)} after ` +
    `the update's response in the real server vs ${ms(base.firstAfterResponseMs.p50)} in the baseline (p50): the real server starts ` +
    "writing when its Redis subscription delivers the published frame, the baseline before it even answers. From the update being sent: " +
    `${ms(ours.afterSendMs.p50)} vs ${ms(base.afterSendMs.p50)}; the update's own round trip ${ms(ours.updateMs.p50)} vs ${ms(base.updateMs.p50)}. ` +
    `Server CPU per update ${ms(ours.serverCpuMsPerUpdate)} vs ${ms(base.serverCpuMsPerUpdate)}; the load process's ` +
    `${ms(ours.clientCpuMsPerUpdate)} vs ${ms(base.clientCpuMsPerUpdate)} (it reads the same bytes from the same number of sockets).`
  );
}

function profileLines(ours: ProfileResult, base: ProfileResult | undefined): string[] {
  const n = ours.viewers.toLocaleString("en-US");
  const topFns = (p: ProfileResult) => list(p.cpu.functions, (f) => `${f.name} (${f.selfPct.toFixed(1)}%)`);
  const topUpdateAlloc = (p: ProfileResult) => list(p.allocations.functions, (f) => `${f.name} (${f.pct.toFixed(1)}%)`, 3);
  const topAlloc = (p: ProfileResult) => list(p.connectAllocations.functions, (f) => `${f.name} (${f.pct.toFixed(1)}%)`);
  const topHeap = (p: ProfileResult) =>
    list(p.heap.top, (h) => `${h.name} ×${h.countPerViewer.toFixed(1)} (${Math.round(h.bytesPerViewer)} B)`);
  return [
    `- Time at ${n} viewers (CPU profile over ${ours.updates} updates; self time, % of busy): real server ${topFns(ours)}.` +
      (base ? ` Baseline: ${topFns(base)}.` : ""),
    `- Allocation per update at ${n} viewers: real server ${kib(ours.allocations.bytesPerUpdate)}, most by ${topUpdateAlloc(ours)}.` +
      (base ? ` Baseline ${kib(base.allocations.bytesPerUpdate)}: ${topUpdateAlloc(base)}.` : ""),
    `- Memory at ${n} viewers (JS heap growth per viewer, shallow): real server ${Math.round(ours.heap.totalBytesPerViewer)} B of ` +
      `${Math.round(ours.heap.rssBytesPerViewer)} B RSS: ${topHeap(ours)}.` +
      (base ? ` Baseline ${Math.round(base.heap.totalBytesPerViewer)} B of ${Math.round(base.heap.rssBytesPerViewer)} B RSS: ${topHeap(base)}.` : ""),
    `- Allocation while ${n} viewers connect: real server ${Math.round(ours.connectAllocations.bytesPerUpdate)} B per viewer: ` +
      `${topAlloc(ours)}.` +
      (base ? ` Baseline ${Math.round(base.connectAllocations.bytesPerUpdate)} B per viewer: ${topAlloc(base)}.` : ""),
  ];
}

/** Generated remarks for RESULTS.md: which targets are missed, the row figures that explain them, what the profiles name first. */
function analysis(checks: TargetCheck[], scale: ScaleResult[], ratioRows: Ratio[], profiles: ProfileResult[], notes: string[]): string[] {
  const missed = checks.filter((c) => c.met === false);
  if (!missed.length) return ["Every target is met in this run.", ""];
  const lines = [`Missed in this run: ${missed.map((c) => c.target).join("; ")}.`, ""];
  const row = (kind: ServerKind, viewers: number) => scale.find((s) => s.server === kind && s.viewers === viewers)!;
  for (const r of ratioRows) {
    const [ours, base] = [row("ours", r.viewers), row("baseline", r.viewers)];
    if ((r.p50 !== null && r.p50 > MAX_RATIO) || (r.p99 !== null && r.p99 > MAX_RATIO)) lines.push(fanoutGap(ours, base));
    if (r.rssPerViewer !== null && r.rssPerViewer > MAX_RATIO) {
      lines.push(rssGap(ours, base, profiles.filter((p) => p.viewers === r.viewers)));
    }
  }
  lines.push("");
  if (!profiles.length) {
    lines.push(`No profile in this run (${notes.find((n) => n.startsWith("profiling")) ?? "see the notes"}).`, "");
    return lines;
  }
  for (const ours of profiles.filter((p) => p.server === "ours")) {
    lines.push(...profileLines(ours, profiles.find((p) => p.server === "baseline" && p.viewers === ours.viewers)));
  }
  lines.push("", "The full tables are under Profiles below.", "");
  return lines;
}

async function main(): Promise<void> {
  await raiseOpenFiles();
  const started = performance.now();
  const system = systemInfo();
  const cpuStart = cpuSnapshot();
  const notes: string[] = [];
  const own = openFilesOf("self");
  log(`nproc ${system.nproc}, Node ${system.node}, open files: soft ${own.soft}, hard ${own.hard} (asked for ${WANTED_OPEN_FILES})`);

  log("render: Renderer.parse + render vs template literal");
  const render = await benchRender();
  log("render by kind: svg, html (satori), PNG (resvg)");
  const renderKinds = await benchRenderKinds();
  log(renderKindsTable(renderKinds));

  log("starting a dedicated redis-server");
  const redis = await startRedis();
  const redisProbe = new RedisClientProbe(redis.url);
  register(() => redisProbe.close());

  const cap = viewerCap(own.soft);
  const scale: ScaleResult[] = [];
  for (const wanted of VIEWER_COUNTS) {
    const viewers = Math.min(wanted, cap);
    if (viewers < wanted) {
      const note = `open files limit ${own.soft}: ${wanted} viewers capped to ${viewers}`;
      notes.push(note);
      log(note);
    }
    for (const kind of ["ours", "baseline"] as const) {
      log(`fan-out: ${kind}, ${viewers} viewers`);
      const subject = await startSubject(kind, redis.url, `${kind}${viewers}`);
      try {
        scale.push(await benchScale(subject, { ...(quick ? QUICK : SCALE[wanted]!), viewers }, kind === "ours" ? redisProbe : null, log));
      } finally {
        await stopSubject(subject);
      }
    }
  }

  const ratioRows = ratios(scale);
  const checks = targets(scale, ratioRows);
  const missed = checks.some((c) => c.met === false);
  const profiles: ProfileResult[] = [];
  // Profile at every viewer count with a missed ratio target, and at the largest (heap per viewer at scale).
  const largest = Math.max(...scale.map((s) => s.viewers));
  const profileCounts = [...new Set(scale.map((s) => s.viewers))].filter(
    (viewers) =>
      profileMode === "always" ||
      viewers === largest ||
      ratioRows.some((r) => r.viewers === viewers && [r.p50, r.p99, r.rssPerViewer].some((x) => x !== null && x > MAX_RATIO)),
  );
  const elapsed = performance.now() - started;
  if (profileMode === "always" || (profileMode === "auto" && missed)) {
    const budget = profileCounts.reduce((total, viewers) => total + (viewers >= 10_000 ? PROFILE_BUDGET_MS : PROFILE_BUDGET_MS / 4), 0);
    if (elapsed + budget > DEADLINE_MS) {
      notes.push(`profiling skipped: ${Math.round(elapsed / 1000)} s used, the passes need about ${Math.round(budget / 1000)} s more`);
    } else {
      resetProfileDir();
      for (const wanted of profileCounts) {
        const viewers = Math.min(wanted, cap);
        for (const kind of ["ours", "baseline"] as const) {
          log(`profile: ${kind}, ${viewers} viewers`);
          const subject = await startSubject(kind, redis.url, `prof${kind}`);
          try {
            profiles.push(
              await profilePass(subject, {
                // Enough profiled updates for a few thousand samples at either size.
                viewers, updates: viewers >= 10_000 ? 10 : 50, warmupUpdates: 3, connectConcurrency: 200,
                connectTimeoutMs: 30_000, updateTimeoutMs: 30_000, settleMs: 2_000, cpuIntervalUs: 500,
              }, log),
            );
          } finally {
            await stopSubject(subject);
          }
        }
      }
    }
  }

  await redisProbe.close();
  await redis.stop();
  for (const row of scale) {
    if (row.othersCpuShare > 0.1) {
      notes.push(
        `${row.server === "ours" ? "real server" : "baseline"}, ${row.viewers.toLocaleString("en-US")} viewers: other processes used ` +
          `${(row.othersCpuShare * 100).toFixed(0)}% of the machine's CPU during the measured updates; that row's fan-out figures are inflated`,
      );
    }
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
    command: `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`,
    system,
    openFiles: { soft: own.soft, hard: own.hard, wanted: WANTED_OPEN_FILES },
    durationSeconds,
    cpu: others,
    notes,
    render,
    renderKinds,
    scale,
    ratios: ratioRows,
    targets: checks,
    profiles,
  };
  printTables(results);
  // A smoke test never replaces the figures of a real run.
  const dir = quick ? mkdtempSync(join(tmpdir(), "rsvg-bench-quick-")) : here(".");
  writeReports(results, join(dir, "RESULTS.md"), join(dir, "results.json"), analysis(checks, scale, ratioRows, profiles, notes));
  log(`wrote ${quick ? dir : "bench"}/RESULTS.md and results.json`);
}

/** Stops every child (bounded: the 'exit' hooks SIGKILL whatever is left), then exits. */
async function stopAndExit(code: number): Promise<never> {
  const timer = setTimeout(() => process.exit(code), 15_000);
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
