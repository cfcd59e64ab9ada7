/** Turns results into the stdout table, bench/RESULTS.md and bench/results.json. */
import { writeFileSync } from "node:fs";
import type { FanoutResult } from "./fanout.js";
import type { RenderResult, RenderVariant } from "./render.js";
import { round } from "./stats.js";
import type { OtherLoad, SystemInfo } from "./system.js";

export interface BenchResults {
  command: string;
  system: SystemInfo;
  durationSeconds: number;
  /** CPU time of this run (with its children) and of every other process on the machine meanwhile. */
  cpu: OtherLoad;
  notes: string[];
  render: RenderResult;
  fanout: FanoutResult[];
}

type Row = string[];

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => value.toFixed(2);
const us = (value: number) => value.toFixed(1);
const mib = (bytes: number | null) => (bytes === null ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const perViewer = (bytes: number | null) => (bytes === null ? "n/a" : `${int(bytes / 1024)} KiB`);

function renderRow(name: string, variant: RenderVariant): Row {
  const { latencyUs, gc } = variant;
  return [
    name, us(latencyUs.p50), us(latencyUs.p99), us(latencyUs.max), int(variant.perSecond),
    int(gc.count), ms(gc.totalMs), ms(gc.maxMs),
  ];
}

function renderRows(r: RenderResult): { head: Row; rows: Row[] } {
  return {
    head: ["variant", "p50 µs", "p99 µs", "max µs", "calls/s", "GC pauses", "GC ms total", "GC ms max"],
    rows: [
      renderRow("Renderer.parse + render (LiquidJS)", r.renderer),
      renderRow("template literal + escapeXml (baseline)", r.literal),
    ],
  };
}

function fanoutRows(results: FanoutResult[]): { head: Row; rows: Row[] } {
  return {
    head: ["store", "server", "viewers", "p50 ms", "p99 ms", "max ms", "from send p50", "from send p99", "PATCH p50 ms", "warm-up max ms"],
    rows: results.map((f) => [
      f.store, f.host, int(f.viewers),
      ms(f.afterResponseMs.p50), ms(f.afterResponseMs.p99), ms(f.afterResponseMs.max),
      ms(f.afterSendMs.p50), ms(f.afterSendMs.p99), ms(f.patchMs.p50),
      ms(Math.max(...f.warmupAfterResponseMs)),
    ]),
  };
}

function resourceRows(results: FanoutResult[]): { head: Row; rows: Row[] } {
  return {
    head: [
      "store", "viewers", "connect all ms", "RSS before", "RSS after", "RSS per viewer",
      "server CPU ms/update", "client CPU ms/update", "server GC pauses", "server GC ms max",
      "client GC pauses", "client GC ms max", "slowest 2%: with server GC", "with client GC",
    ],
    rows: results.map((f) => [
      f.store, int(f.viewers), int(f.connectMs),
      mib(f.rssBeforeBytes), mib(f.rssAfterBytes), perViewer(f.rssBytesPerViewer),
      f.serverCpuMsPerUpdate === null ? "(in client)" : ms(f.serverCpuMsPerUpdate),
      ms(f.clientCpuMsPerUpdate),
      f.serverGc ? int(f.serverGc.count) : "(in client)", f.serverGc ? ms(f.serverGc.maxMs) : "(in client)",
      int(f.clientGc.count), ms(f.clientGc.maxMs),
      f.slowest.withServerGc === null ? "(in client)" : `${f.slowest.withServerGc} of ${f.slowest.count}`,
      `${f.slowest.withClientGc} of ${f.slowest.count}`,
    ]),
  };
}

function textTable(head: Row, rows: Row[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: Row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function markdownTable(head: Row, rows: Row[]): string {
  const line = (row: Row) => `| ${row.join(" | ")} |`;
  return [line(head), `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`, ...rows.map(line)].join("\n");
}

function renderCaption(r: RenderResult): string {
  return (
    `Render: badge template with 3 args, ${r.frameBytes}-byte frame; ${int(r.iterations)} timed calls after ${int(r.warmup)} warm-up.\n` +
    `The baseline is ${r.throughputRatio.toFixed(1)}× faster in calls/s (${r.p50Ratio.toFixed(1)}× at p50).`
  );
}

function fanoutCaption(results: FanoutResult[]): string {
  const first = results[0];
  const updates = first ? first.updates : 0;
  return (
    `Fan-out: ${updates} sequential PATCHes per row after ${first?.warmupAfterResponseMs.length ?? 0} untimed warm-up updates ` +
    `on a freshly started server ("warm-up max": the slowest of those, cold JIT). ` +
    `p50/p99/max = ms from the PATCH response to the moment the LAST viewer ` +
    `has the complete new frame (negative: every viewer had it before the client read the response). ` +
    `"from send" counts from the PATCH being sent.`
  );
}

const RESOURCE_CAPTION =
  "Resources: RSS is the server's VmRSS before/after opening the viewers (child process only). CPU is user+system time " +
  "during the measured updates, per update; for the in-process rows the client figure includes the server. " +
  "GC pauses are counted during the measured updates: the benchmark process's own through PerformanceObserver " +
  "(it holds the server too when in-process), the child server's from bench/gc-probe.mjs, preloaded into it. The last two columns: " +
  "of the slowest 2% of updates, how many overlapped a GC pause of the server / of the client.";

export function printTables(results: BenchResults): void {
  const render = renderRows(results.render);
  const fanout = fanoutRows(results.fanout);
  console.log(`\n${renderCaption(results.render)}\n`);
  console.log(textTable(render.head, render.rows));
  console.log(`\n${fanoutCaption(results.fanout)}\n`);
  console.log(textTable(fanout.head, fanout.rows));
  const resources = resourceRows(results.fanout);
  console.log(`\n${RESOURCE_CAPTION}\n`);
  console.log(textTable(resources.head, resources.rows));
  const { cpu } = results;
  console.log(
    `\nRun: ${results.durationSeconds.toFixed(0)} s wall, ${cpu.ownSeconds.toFixed(1)} CPU-s by the benchmark and its children, ` +
      `${cpu.otherSeconds.toFixed(1)} CPU-s (${(cpu.otherShare * 100).toFixed(1)}%) by other processes.`,
  );
  for (const note of results.notes) console.log(`note: ${note}`);
  console.log("");
}

export function writeReports(results: BenchResults, markdownPath: string, jsonPath: string): void {
  const s = results.system;
  const render = renderRows(results.render);
  const fanout = fanoutRows(results.fanout);
  const resources = resourceRows(results.fanout);
  const markdown = [
    "# Benchmark results",
    "",
    `- Date: ${s.date}`,
    `- Command: \`${results.command}\``,
    `- Machine: \`nproc\` = ${s.nproc} (${s.cpuModel}), ${round(s.totalMemoryBytes / 1024 ** 3, 1)} GiB total memory, ${s.platform}`,
    `- Node ${s.node}, redis-server ${s.redisServer}, \`ulimit -n\` = ${s.openFilesLimit}`,
    `- Whole run: ${results.durationSeconds.toFixed(0)} s wall, ${results.cpu.ownSeconds.toFixed(1)} CPU-s by the benchmark and its children; ` +
      `other processes meanwhile: ${results.cpu.otherSeconds.toFixed(1)} CPU-s (${(results.cpu.otherShare * 100).toFixed(1)}% of the machine)`,
    "",
    "## Render",
    "",
    renderCaption(results.render),
    "",
    markdownTable(render.head, render.rows),
    "",
    "Both variants produce byte-identical frames (checked before timing). Per-call latencies are timed one call at a time",
    "with `performance.now()`; calls/s comes from separate untimed loops of the same length, repeated for at least 1 s.",
    "",
    "## Fan-out",
    "",
    fanoutCaption(results.fanout),
    "",
    markdownTable(fanout.head, fanout.rows),
    "",
    RESOURCE_CAPTION,
    "",
    markdownTable(resources.head, resources.rows),
    "",
    "How it is measured:",
    "",
    "- memory: the real Node host started in the benchmark's own process (`startInProcess`), so server and load client share one event loop.",
    "- redis: a dedicated `redis-server` and the real entry point (`runtime/node/main.ts`) spawned as its own process with `REDIS_URL`.",
    "- Viewers are raw `node:http` GETs of `/stream/ID?keep_alive=300000` (no agent, one socket each; the long keep-alive keeps resends out of the figures),",
    "  opened 50 at a time; a viewer counts once its first frame has arrived.",
    "- Each update is one PATCH on a keep-alive connection; the next one starts after every viewer has the previous frame.",
    "  A frame counts as arrived when its unique marker and then the delimiter line `\\r\\n--BOUNDARY\\r\\n` have been received.",
    "- **The load client is a single JS process**, so absolute fan-out figures include the client's own time to read N sockets",
    "  (and, for the in-process memory rows, the server's time too, on the same thread). Compare rows with that in mind.",
    "- RSS per viewer is (RSS after − RSS before) / N for the child process: an approximation, as RSS also moves with GC timing.",
    ...(results.notes.length ? ["", "Notes from this run:", "", ...results.notes.map((note) => `- ${note}`)] : []),
    "",
  ].join("\n");
  writeFileSync(markdownPath, markdown);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
}
