/** Turns results into the stdout tables, bench/RESULTS.md and bench/results.json. */
import { writeFileSync } from "node:fs";
import type { ProfileResult } from "./profile.js";
import type { RenderResult, RenderVariant } from "./render.js";
import type { ScaleResult } from "./scale.js";
import { round } from "./stats.js";
import type { OtherLoad, SystemInfo } from "./system.js";
import type { ThroughputResult } from "./throughput.js";

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: could not be judged in this run. */
  met: boolean | null;
}

export interface Ratio {
  viewers: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  rssPerViewer: number | null;
  /** Of the marginal cost (slope over the steps), a diagnostic beside the target's measure. */
  rssMarginal: number | null;
}

import { renderKindsTable, type RenderKindsResult } from "./render-kinds.js";

export interface BenchResults {
  command: string;
  system: SystemInfo;
  /** Descriptor limits: of the benchmark (children inherit it), and what was asked for. */
  openFiles: { soft: number; hard: number; wanted: number };
  durationSeconds: number;
  /** CPU time of this run (with its children) and of every other process on the machine meanwhile. */
  cpu: OtherLoad;
  notes: string[];
  render: RenderResult;
  /** svg-kind, html-kind and PNG render times (issue 5). */
  renderKinds: RenderKindsResult;
  scale: ScaleResult[];
  ratios: Ratio[];
  targets: TargetCheck[];
  profiles: ProfileResult[];
}

type Row = string[];
interface Table {
  head: Row;
  rows: Row[];
}

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "n/a");
const us = (value: number) => value.toFixed(1);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(2)}×`);
const pct = (value: number) => `${value.toFixed(1)}%`;
const name = (kind: ScaleResult["server"]) => (kind === "ours" ? "realtime-svg (redis)" : "baseline");

function renderRow(label: string, variant: RenderVariant): Row {
  const { latencyUs, gc } = variant;
  return [
    label, us(latencyUs.p50), us(latencyUs.p99), us(latencyUs.max), int(variant.perSecond),
    int(gc.count), ms(gc.totalMs), ms(gc.maxMs),
  ];
}

function renderTable(r: RenderResult): Table {
  return {
    head: ["variant", "p50 µs", "p99 µs", "max µs", "calls/s", "GC pauses", "GC ms total", "GC ms max"],
    rows: [
      renderRow("Renderer.parse + render (LiquidJS)", r.renderer),
      renderRow("template literal + escapeXml (baseline)", r.literal),
    ],
  };
}

function fanoutTable(results: ScaleResult[]): Table {
  return {
    head: [
      "server", "viewers", "updates", "p50 ms", "p99 ms", "max ms", "first viewer p50", "from send p50",
      "update RTT p50", "warm-up max", "server CPU ms/upd", "client CPU ms/upd", "others' CPU", "server GC pauses (max ms)",
      "of them full (max ms)", "slowest w/ server GC",
    ],
    rows: results.map((s) => [
      name(s.server), int(s.viewers), int(s.updates),
      ms(s.afterResponseMs.p50), ms(s.afterResponseMs.p99), ms(s.afterResponseMs.max),
      ms(s.firstAfterResponseMs.p50), ms(s.afterSendMs.p50), ms(s.updateMs.p50),
      ms(Math.max(...s.warmupAfterResponseMs)),
      ms(s.serverCpuMsPerUpdate), ms(s.clientCpuMsPerUpdate), pct(s.othersCpuShare * 100),
      `${s.serverGc.count} (${ms(s.serverGc.maxMs)})`, `${s.serverGc.major} (${ms(s.serverGc.majorMaxMs)})`,
      `${s.slowest.withServerGc} of ${s.slowest.count}`,
    ]),
  };
}

const redisCell = (s: ScaleResult) =>
  s.redisClients
    ? `${s.redisClients.idle.others} / ${s.redisClients.withViewers.others} / ${s.redisClients.afterUpdates.others}`
    : "—";

function memoryTable(results: ScaleResult[]): Table {
  return {
    head: [
      "server", "viewers", "connect all ms", "RSS before", "RSS after", "RSS per viewer", "marginal per viewer",
      "heap used Δ per viewer", "new space before → after", "other heap spaces Δ", "RSS after updates",
      "peak RSS (VmHWM)", "Redis conns idle / viewers / after", "nofile server / client", "load client RSS",
    ],
    rows: results.map((s) => [
      name(s.server), int(s.viewers), int(s.connectMs), mib(s.rssBeforeBytes), mib(s.rssAfterBytes),
      kib(s.rssPerViewerBytes), s.rssMarginalPerViewerBytes === null ? "n/a" : kib(s.rssMarginalPerViewerBytes),
      kib((s.memoryAfter.heapUsed - s.memoryBefore.heapUsed) / s.viewers),
      `${mib(s.memoryBefore.newSpace)} → ${mib(s.memoryAfter.newSpace)}`,
      mib(s.memoryAfter.otherSpaces - s.memoryBefore.otherSpaces),
      mib(s.rssAfterUpdatesBytes), mib(s.rssPeakBytes), redisCell(s),
      `${int(s.openFiles.server.soft)} / ${int(s.openFiles.client.soft)}`, mib(s.clientRssBytes),
    ]),
  };
}

function ratioTable(ratios: Ratio[]): Table {
  return {
    head: ["viewers", "fan-out p50", "fan-out p99", "fan-out max", "RSS per idle viewer", "(marginal)"],
    rows: ratios.map((r) => [
      int(r.viewers), ratio(r.p50), ratio(r.p99), ratio(r.max), ratio(r.rssPerViewer), ratio(r.rssMarginal),
    ]),
  };
}

function throughputTable(results: ScaleResult[]): Table {
  const rows: Row[] = [];
  const row = (s: ScaleResult, viewers: number, t: ThroughputResult, after: string): Row => [
    name(s.server), int(viewers), `${t.connections} × ${t.durationSeconds.toFixed(0)} s`, int(t.requests), int(t.perSecond),
    ms(t.latencyMs.p50), ms(t.latencyMs.p99), ms(t.latencyMs.max), int(t.non2xx), int(t.errors + t.timeouts), after,
  ];
  for (const s of results) {
    if (!s.flood) continue;
    const f = s.flood;
    const after = f.afterFlood.ok
      ? `all ${int(s.viewers)} got it, last ${ms(f.afterFlood.afterResponseMs)} ms after the response` +
        (f.viewersFailedAfterFlood ? `; ${f.viewersFailedAfterFlood} viewers failed` : "")
      : `FAILED: ${f.afterFlood.error}`;
    rows.push(row(s, s.viewers, f.withViewers, after));
    rows.push(row(s, 0, f.withoutViewers, "—"));
  }
  return {
    head: [
      "server", "viewers attached", "connections × time", "updates", "updates/s", "p50 ms", "p99 ms", "max ms",
      "non-2xx", "errors", "one more update after the flood",
    ],
    rows,
  };
}

function targetTable(targets: TargetCheck[]): Table {
  return {
    head: ["target", "measured", "met?"],
    rows: targets.map((t) => [t.target, t.measured, t.met === null ? "n/a" : t.met ? "MET" : "MISSED"]),
  };
}

function cpuTables(p: ProfileResult): [Table, Table] {
  return [
    {
      head: ["function (self time)", "ms", "% of busy"],
      rows: p.cpu.functions.map((e) => [e.name, ms(e.selfMs), pct(e.selfPct)]),
    },
    {
      head: ["module (self time)", "ms", "% of busy"],
      rows: p.cpu.modules.map((e) => [e.name, ms(e.selfMs), pct(e.selfPct)]),
    },
  ];
}

function allocationTable(p: ProfileResult): Table {
  return {
    head: ["function (bytes allocated, sampled)", "KiB per update", "% of allocated"],
    rows: p.allocations.functions.map((e) => [e.name, (e.bytesPerUpdate / 1024).toFixed(1), pct(e.pct)]),
  };
}

function connectAllocationTable(p: ProfileResult): Table {
  return {
    head: ["function (bytes allocated while connecting, sampled)", "bytes per viewer", "% of allocated"],
    rows: p.connectAllocations.functions.map((e) => [e.name, int(e.bytesPerUpdate), pct(e.pct)]),
  };
}

function heapTable(p: ProfileResult): Table {
  return {
    head: ["constructor (shallow size)", "objects per viewer", "bytes per viewer"],
    rows: p.heap.top.map((e) => [e.name, e.countPerViewer.toFixed(2), int(e.bytesPerViewer)]),
  };
}

function textTable({ head, rows }: Table): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: Row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function markdownTable({ head, rows }: Table): string {
  const line = (row: Row) => `| ${row.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(head), `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`, ...rows.map(line)].join("\n");
}

function renderCaption(r: RenderResult): string {
  return (
    `Render: badge template with 3 args, ${r.frameBytes}-byte frame; ${int(r.iterations)} timed calls after ${int(r.warmup)} warm-up. ` +
    `The baseline is ${r.throughputRatio.toFixed(1)}× faster in calls/s (${r.p50Ratio.toFixed(1)}× at p50).`
  );
}

function fanoutCaption(results: ScaleResult[]): string {
  const frame = results.find((s) => s.frameBytes)?.frameBytes ?? 0;
  const same = results.find((s) => s.sameFrameAsBaseline !== null)?.sameFrameAsBaseline;
  return (
    `Fan-out: sequential updates after ${results[0]?.warmupAfterResponseMs.length ?? 0} untimed warm-up ones, each server freshly started. ` +
    `p50/p99/max = ms from the update's HTTP response (fully read) to the moment the LAST of the N viewers has the complete new frame ` +
    `(negative: every viewer had it before the response was read); "first viewer" likewise for the first. ` +
    `The real server gets PATCH /api/session/ID, the baseline POST /publish with the same ${frame}-byte SVG` +
    (same === undefined ? "." : same ? " (checked: the real server served byte-identical SVG)." : " (WARNING: the real server's SVG differed).") +
    ` With fewer than 100 updates, p99 is the largest sample (nearest rank). CPU columns are per measured update; "others' CPU" is ` +
    "the share of the machine's 2 CPUs used meanwhile by processes other than the benchmark, the server and the load process " +
    "(the redis-server included): where it is large, other work on the machine inflated that row."
  );
}

const MEMORY_CAPTION =
  "Memory and connections: RSS is the server's VmRSS (median of 5 readings 200 ms apart, after a 2 s settle) before and after the N viewers " +
  "connected; per viewer = (after − before) / N, the target's measure. The viewers connect in 4 equal steps with an RSS reading after each " +
  "(1 s settle); \"marginal\" is the least-squares slope over the steps with viewers, i.e. the cost of one more idle viewer without " +
  "one-time costs (JIT code for the connection path, new-space pages touched for the first time); at 1,000 viewers its steps of 250 are " +
  "within the noise of RSS readings, and no ratio is given from a slope under 2 KiB. Heap figures are V8's own " +
  "(process.memoryUsage and heap space sizes, read through bench/server-probe.mjs right after the RSS readings, no GC forced): heap used " +
  "includes garbage not yet collected; new space is the committed young generation, which V8 grows with the allocation rate. " +
  "Peak is VmHWM at the end of the row. Redis connections are CLIENT LIST entries other than " +
  "the benchmark's own probe (the server's, named realtime-svg), before the viewers, with them, and after the updates; \"nofile\" is each " +
  "process's open-files limit.";

function runLine(results: BenchResults): string {
  const { cpu } = results;
  return (
    `Run: ${results.durationSeconds.toFixed(0)} s wall, ${cpu.ownSeconds.toFixed(1)} CPU-s by the benchmark and its children, ` +
    `${cpu.otherSeconds.toFixed(1)} CPU-s (${(cpu.otherShare * 100).toFixed(1)}%) by other processes.`
  );
}

export function printTables(results: BenchResults): void {
  const out = (text: string) => console.log(text);
  out(`\n${renderCaption(results.render)}\n`);
  out(textTable(renderTable(results.render)));
  out(`\n${fanoutCaption(results.scale)}\n`);
  out(textTable(fanoutTable(results.scale)));
  out(`\n${MEMORY_CAPTION}\n`);
  out(textTable(memoryTable(results.scale)));
  out("\nRatios, realtime-svg / baseline (same run, same load process):\n");
  out(textTable(ratioTable(results.ratios)));
  out("\nUpdate throughput (autocannon):\n");
  out(textTable(throughputTable(results.scale)));
  out("\nTargets:\n");
  out(textTable(targetTable(results.targets)));
  for (const p of results.profiles) {
    const [functions, modules] = cpuTables(p);
    out(`\nProfile, ${name(p.server)}, ${int(p.viewers)} viewers: CPU over ${p.updates} updates (${ms(p.cpu.durationMs)} ms, ${pct(p.cpu.busyPct)} busy)\n`);
    out(textTable(functions));
    out("");
    out(textTable(modules));
    out(`\nAllocated per update: ${int(p.allocations.bytesPerUpdate / 1024)} KiB (${int(p.allocations.bytesPerUpdate / p.viewers)} bytes per viewer)\n`);
    out(textTable(allocationTable(p)));
    out(`\nAllocated while the viewers connected: ${int(p.connectAllocations.bytesPerUpdate)} bytes per viewer\n`);
    out(textTable(connectAllocationTable(p)));
    out(
      `\nHeap per viewer: ${int(p.heap.totalBytesPerViewer)} bytes shallow JS heap of ${int(p.heap.rssBytesPerViewer)} bytes RSS\n`,
    );
    out(textTable(heapTable(p)));
  }
  out(`\n${runLine(results)}`);
  for (const note of results.notes) out(`note: ${note}`);
  out("");
}

function profileMarkdown(p: ProfileResult): string[] {
  const [functions, modules] = cpuTables(p);
  return [
    `### ${name(p.server)}, ${int(p.viewers)} viewers`,
    "",
    `CPU profile (\`${p.cpu.file}\`) over exactly ${p.updates} updates: ${ms(p.cpu.durationMs)} ms of wall time, ` +
      `the server's thread busy ${pct(p.cpu.busyPct)} of it, ${int(p.cpu.samples)} samples. Self time:`,
    "",
    markdownTable(functions),
    "",
    markdownTable(modules),
    "",
    `Allocations over the same updates (\`${p.allocations.file}\`, V8's sampling heap profiler counting collected objects too): ` +
      `${int(p.allocations.bytesPerUpdate / 1024)} KiB per update, ${int(p.allocations.bytesPerUpdate / p.viewers)} bytes per viewer per update:`,
    "",
    markdownTable(allocationTable(p)),
    "",
    `Allocations while the ${int(p.viewers)} viewers connected (\`${p.connectAllocations.file}\`): ` +
      `${int(p.connectAllocations.bytesPerUpdate)} bytes per viewer, most of it garbage at once; this volume is what makes V8 grow ` +
      "its young generation while viewers arrive:",
    "",
    markdownTable(connectAllocationTable(p)),
    "",
    `Heap snapshots before and after the viewers connected (\`${p.heap.files[0]}\`, \`${p.heap.files[1]}\`): ` +
      `${int(p.heap.totalBytesPerViewer)} bytes of shallow JS heap per viewer, of ${int(p.heap.rssBytesPerViewer)} bytes RSS per viewer ` +
      "in the same pass. By constructor (shallow size, not retained):",
    "",
    markdownTable(heapTable(p)),
    "",
  ];
}

export function writeReports(results: BenchResults, markdownPath: string, jsonPath: string, analysis: string[]): void {
  const s = results.system;
  const markdown = [
    "# Benchmark results",
    "",
    `- Date: ${s.date}`,
    `- Command: \`${results.command}\` (from the repository root)`,
    `- Machine: \`nproc\` = ${s.nproc} (${s.cpuModel}), ${round(s.totalMemoryBytes / 1024 ** 3, 1)} GiB total memory, ${s.platform}`,
    `- Node ${s.node}, redis-server ${s.redisServer}; open files: soft ${int(results.openFiles.soft)}, hard ${int(results.openFiles.hard)} ` +
      `(asked for ${int(results.openFiles.wanted)})`,
    `- Whole run: ${results.durationSeconds.toFixed(0)} s wall, ${results.cpu.ownSeconds.toFixed(1)} CPU-s by the benchmark and its children; ` +
      `other processes meanwhile: ${results.cpu.otherSeconds.toFixed(1)} CPU-s (${(results.cpu.otherShare * 100).toFixed(1)}% of the machine)`,
    "",
    "## Targets (issue 3)",
    "",
    markdownTable(targetTable(results.targets)),
    "",
    ...analysis,
    "## Fan-out at scale",
    "",
    fanoutCaption(results.scale),
    "",
    markdownTable(fanoutTable(results.scale)),
    "",
    "Ratios, realtime-svg / baseline (same run, same load process):",
    "",
    markdownTable(ratioTable(results.ratios)),
    "",
    MEMORY_CAPTION,
    "",
    markdownTable(memoryTable(results.scale)),
    "",
    "## Update throughput",
    "",
    "autocannon (programmatic), a fixed number of connections sending updates to one session for a fixed time, each update different " +
      "(`[<id>]`): PATCH /api/session/ID on the real server, POST /publish on the baseline. First with the row's viewers attached " +
      "(frames a viewer cannot take yet are coalesced), then one more timed update to check every viewer got the newest frame, then " +
      "again after the viewers closed.",
    "",
    markdownTable(throughputTable(results.scale)),
    "",
    "## Render",
    "",
    renderCaption(results.render),
    "",
    markdownTable(renderTable(results.render)),
    "",
    "Both variants produce byte-identical frames (checked before timing). Per-call latencies are timed one call at a time",
    "with `performance.now()`; calls/s comes from separate untimed loops of the same length, repeated for at least 1 s.",
    "",
    "## Render by kind (issue 5)",
    "",
    "Targets: svg kind ≤ 0.1 ms p50, html kind ≤ 10 ms p50, PNG ≤ 20 ms p50 at 400×120.",
    "",
    renderKindsTable(results.renderKinds),
    "",
    ...(results.profiles.length
      ? [
          "## Profiles",
          "",
          "Taken in separate passes after the measured rows (profiling slows the server down, so none of the figures above come from",
          "a profiled process). Through `bench/server-probe.mjs`, preloaded into every server, the benchmark has a heap snapshot written",
          "and the V8 CPU profiler started and stopped around exactly the profiled updates; files are in `bench/profiles/` (not for git).",
          "",
          ...results.profiles.flatMap(profileMarkdown),
        ]
      : []),
    "## How it is measured",
    "",
    "- Three kinds of process: this benchmark (sends the updates, reads RSS and CLIENT LIST, runs autocannon), the server under test,",
    "  and a separate load process (`bench/load-client.ts`) holding the N viewers. A dedicated `redis-server` serves the real server.",
    "- The real server is the real entry point (`runtime/node/main.ts` via `spawnServer`) with `REDIS_URL`, request logging at `info`",
    "  as in production. The baseline is `bench/baseline-server.ts`: plain `node:http`, no router, no store, same headers and bytes.",
    "  Both run as `node --import tsx …` and are preloaded with `bench/gc-probe.mjs` (reports GC pauses) and",
    "  `bench/server-probe.mjs` (V8 heap figures on request, and the profiles; its own port, idle otherwise).",
    "- Viewers are raw `node:http` GETs (no agent, one socket each); the real server's use `?keep_alive=300000` so no keep-alive",
    "  resend lands in the figures. A frame counts as arrived when its unique marker and then the delimiter line `\\r\\n--BOUNDARY\\r\\n`",
    "  have been received.",
    "- Per update: the load process arms every viewer for the marker and acknowledges; then the update is sent; the HTTP response's",
    "  end and the last viewer's arrival are both stamped with `process.hrtime` (CLOCK_MONOTONIC, one clock for all processes).",
    "- **The load client is one JavaScript process on the same 2 cores**: it reads N sockets per update, so it takes a large, equal",
    "  share of every fan-out time. Compare the real server with the baseline, not with absolute figures.",
    "- Every process is stopped when a row ends, and on any error, signal or the benchmark's deadline.",
    ...(results.notes.length ? ["", "Notes from this run:", "", ...results.notes.map((note) => `- ${note}`)] : []),
    "",
  ].join("\n");
  writeFileSync(markdownPath, markdown);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
}
