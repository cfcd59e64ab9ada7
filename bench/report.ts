/**
 * Turns measurements into ratio rows (ours ÷ baseline measured in the same run), prints them as
 * a table on stdout and writes them with the raw figures to bench/results.json (git-ignored:
 * figures belong to the machine and moment they were taken, not to the repository).
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { LOOP_MONITOR_RESOLUTION_MS, type FanoutResult } from "./fanout.js";
import type { HostileResult } from "./hostile.js";
import type { RenderResult, Timing } from "./render.js";
import type { WriteFigure, WritesResult } from "./writes.js";

export interface Row {
  figure: string;
  ours: number;
  baseline: number;
  /** ours ÷ baseline. */
  ratio: number;
  unit: "ms" | "KiB" | "B" | "/s" | "µs";
  better: "lower" | "higher";
  /** Share of the machine's CPU other processes (outside this run) took while it was measured; the larger of the two windows. */
  othersCpu: number | null;
}

export interface Measured {
  render: RenderResult | null;
  fanout: { viewers: number; ours: FanoutResult; bare: FanoutResult }[];
  writes: WritesResult | null;
  hostile: HostileResult | null;
}

const row = (
  figure: string,
  ours: number,
  baseline: number,
  unit: Row["unit"],
  better: Row["better"] = "lower",
  othersCpu: number | null = null,
): Row => ({
  figure,
  ours,
  baseline,
  ratio: ours / baseline,
  unit,
  better,
  othersCpu,
});

const worse = (...shares: number[]) => Math.max(...shares);

/** How the updates of an answer row were timed (FanoutPlan.quietMs, bench/placement.ts). */
const cadence = (result: FanoutResult) => `each after ${result.quietMs} ms quiet, ${result.answersPlaced ? "server on its own CPU" : "not placed"}`;

function writeRows(w: WritesResult): Row[] {
  const { connections: c } = w;
  const s = w.sessions.toLocaleString("en-US");
  const pair = (label: string, ours: WriteFigure, base: WriteFigure, baseline: string) => {
    const others = worse(ours.othersCpuShare, base.othersCpuShare);
    const out = [
      row(`writes, ${s} sessions, ${c} concurrent, ${label} (baseline: ${baseline})`, ours.perSecond, base.perSecond, "/s", "higher", others),
      row(`  p99 latency (autocannon, whole ms)`, ours.p99Ms, base.p99Ms, "ms", "lower", others),
    ];
    if (ours.cpuUsPerWrite !== null && base.cpuUsPerWrite !== null) out.push(row(`  server CPU per write`, ours.cpuUsPerWrite, base.cpuUsPerWrite, "µs", "lower", others));
    // Redis's one thread takes every replica's writes: its CPU per write is the ceiling they share.
    if (ours.redisCpuUsPerWrite !== null && base.redisCpuUsPerWrite !== null) out.push(row(`  redis-server CPU per write`, ours.redisCpuUsPerWrite, base.redisCpuUsPerWrite, "µs", "lower", others));
    return out;
  };
  return [
    ...pair("Redis", w.redis.ours, w.redis.bare, "bare node:http, one SET + PUBLISH"),
    row(`  for reference: vs a raw ioredis SET + PUBLISH loop, ${c} at a time`, w.redis.ours.perSecond, w.redis.raw.perSecond, "/s", "higher", worse(w.redis.ours.othersCpuShare, w.redis.raw.othersCpuShare)),
    ...pair("memory store", w.memory.ours, w.memory.bare, "bare /put"),
    row(
      "one session, 10 concurrent writers (baseline: 1 writer), memory store",
      w.oneSession.ten.perSecond,
      w.oneSession.one.perSecond,
      "/s",
      "higher",
      worse(w.oneSession.ten.othersCpuShare, w.oneSession.one.othersCpuShare),
    ),
  ];
}

export function rows({ render, fanout, writes, hostile }: Measured): Row[] {
  const out: Row[] = [];
  for (const { viewers, ours, bare } of fanout) {
    const n = viewers.toLocaleString("en-US");
    const fan = worse(ours.othersCpuShare, bare.othersCpuShare);
    out.push(
      row(`fan-out to ${n} viewers, send → last viewer p50`, ours.toLastMs.p50, bare.toLastMs.p50, "ms", "lower", fan),
      row(`fan-out to ${n} viewers, send → last viewer p99`, ours.toLastMs.p99, bare.toLastMs.p99, "ms", "lower", fan),
      row(`fan-out to ${n} viewers, send → first viewer p50`, ours.toFirstMs.p50, bare.toFirstMs.p50, "ms", "lower", fan),
      row(`fan-out to ${n} viewers, server CPU per delivered frame`, ours.cpuUsPerFrame, bare.cpuUsPerFrame, "µs", "lower", fan),
      row(`update answered, p50, ${n} viewers, ${cadence(ours)} (baseline: same server, no viewer)`, ours.answerMs.p50, ours.answerIdleMs.p50, "ms", "lower", fan),
      row(`update answered, p50, ${n} viewers, ${cadence(ours)} (baseline: bare /publish, ${n} viewers)`, ours.answerMs.p50, bare.answerMs.p50, "ms", "lower", fan),
      row(`RSS per idle viewer, ${n} viewers`, ours.rssPerViewerBytes / 1024, bare.rssPerViewerBytes / 1024, "KiB"),
      row(`bytes per frame per viewer, ${n} viewers (should be 1.00×)`, ours.bytesPerFrame, bare.bytesPerFrame, "B"),
    );
    if (ours.admission && bare.admission) {
      const admit = worse(ours.admission.othersCpuShare, bare.admission.othersCpuShare);
      out.push(
        row(`viewers admitted per second, ${ours.admission.viewers.toLocaleString("en-US")} more beside ${n} (warm)`, ours.admission.perSecond, bare.admission.perSecond, "/s", "higher", admit),
        row(`  server CPU per admitted viewer`, ours.admission.cpuUsPerViewer, bare.admission.cpuUsPerViewer, "µs", "lower", admit),
      );
    }
    out.push(
      row(`event-loop delay p99 during fan-outs to ${n} viewers (each process's monitorEventLoopDelay)`, ours.loopDelayP99Ms, bare.loopDelayP99Ms, "ms", "lower", fan),
      row(`  event-loop delay max`, ours.loopDelayMaxMs, bare.loopDelayMaxMs, "ms", "lower", fan),
      // The same p99 less the tick it is sampled at: how late the monitor's timer ran.
      row(`  event-loop delay p99 past the ${LOOP_MONITOR_RESOLUTION_MS} ms tick`, ours.loopDelayP99Ms - LOOP_MONITOR_RESOLUTION_MS, bare.loopDelayP99Ms - LOOP_MONITOR_RESOLUTION_MS, "ms", "lower", fan),
    );
    if (ours.healthMs && bare.healthMs) {
      out.push(
        row(`/health p99 during fan-outs to ${n} viewers (bounds the event loop's delay)`, ours.healthMs.p99, bare.healthMs.p99, "ms", "lower", fan),
        row(`/health p50 during fan-outs to ${n} viewers`, ours.healthMs.p50, bare.healthMs.p50, "ms", "lower", fan),
      );
    }
  }
  if (writes) out.push(...writeRows(writes));
  if (hostile) {
    // Baseline: the same server's /health with nothing rendering, just before.
    out.push(
      row("/health p50 while hostile renders run (baseline: idle)", hostile.underAttack.p50, hostile.idle.p50, "ms"),
      row("/health p99 while hostile renders run (baseline: idle)", hostile.underAttack.p99, hostile.idle.p99, "ms"),
    );
  }
  if (render) {
    const vsLiteral = (figure: string, t: Timing) => row(`${figure} p50 (baseline: template literal)`, t.p50Ms, render.literal.p50Ms, "ms");
    out.push(
      vsLiteral("render svg kind (Liquid badge)", render.svg),
      row("render svg kind, renders per second", render.svg.perSecond, render.literal.perSecond, "/s", "higher"),
      vsLiteral("render html kind (Liquid + satori, 400×120)", render.html),
      vsLiteral("render PNG (resvg, 400×120)", render.png),
    );
  }
  return out;
}

function show(value: number, unit: Row["unit"]): string {
  if (unit === "ms") return value < 1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(2)} ms`;
  if (unit === "µs") return `${value.toFixed(1)} µs`;
  if (unit === "/s") return `${Math.round(value).toLocaleString("en-US")}/s`;
  return `${value.toFixed(1)} ${unit}`;
}

const ratio = (value: number) =>
  !Number.isFinite(value) ? "n/a" : value >= 100 ? `${Math.round(value).toLocaleString("en-US")}×` : `${value.toFixed(2)}×`;

export function printTable(table: Row[], notes: string[]): void {
  const share = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(0)}%`);
  const cells = table.map((r) => [r.figure, show(r.ours, r.unit), show(r.baseline, r.unit), ratio(r.ratio), `${r.better} is better`, share(r.othersCpu)]);
  const header = ["figure", "realtime-svg", "baseline", "ratio", "", "others' CPU"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join("  ");
  console.log(
    [
      "",
      "Ratios are realtime-svg ÷ baseline, both measured in this run. Baselines: a bare node:http",
      "broadcaster (fan-out, admission, memory), bare-writer.ts (writes), a template literal (render) and the",
      "same server idle (/health, answers). others' CPU: the share of the machine's CPU that processes outside",
      "this run took while the row was measured (the larger of its two windows); a high share makes a row noise.",
      "",
      line(header),
      ...cells.map(line),
      ...notes.map((note) => `note: ${note}`),
      "",
    ].join("\n"),
  );
}

export function writeResults(file: string, context: Record<string, unknown>, table: Row[], measured: Measured): void {
  const machine = { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? "unknown", node: process.version };
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine, ...context, rows: table, raw: measured }, null, 2)}\n`);
}
