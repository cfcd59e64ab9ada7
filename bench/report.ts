/**
 * Turns measurements into ratio rows (ours ÷ baseline measured in the same run), prints them as
 * a table on stdout and writes them with the raw figures to bench/results.json (git-ignored:
 * figures belong to the machine and moment they were taken, not to the repository).
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import type { FanoutResult } from "./fanout.js";
import type { HostileResult } from "./hostile.js";
import type { RenderResult, Timing } from "./render.js";
import type { ThroughputResult } from "./throughput.js";

export interface Row {
  figure: string;
  ours: number;
  baseline: number;
  /** ours ÷ baseline. */
  ratio: number;
  unit: "ms" | "KiB" | "B" | "/s";
  better: "lower" | "higher";
}

export interface Measured {
  render: RenderResult | null;
  fanout: { viewers: number; ours: FanoutResult; bare: FanoutResult }[];
  throughput: { connections: number; seconds: number; ours: ThroughputResult; bare: ThroughputResult } | null;
  hostile: HostileResult | null;
}

const row = (figure: string, ours: number, baseline: number, unit: Row["unit"], better: Row["better"] = "lower"): Row => ({
  figure,
  ours,
  baseline,
  ratio: ours / baseline,
  unit,
  better,
});

export function rows({ render, fanout, throughput, hostile }: Measured): Row[] {
  const out: Row[] = [];
  for (const { viewers, ours, bare } of fanout) {
    const n = viewers.toLocaleString("en-US");
    out.push(
      row(`fan-out to ${n} viewers, send → last viewer p50`, ours.toLastMs.p50, bare.toLastMs.p50, "ms"),
      row(`fan-out to ${n} viewers, send → last viewer p99`, ours.toLastMs.p99, bare.toLastMs.p99, "ms"),
      row(`fan-out to ${n} viewers, send → first viewer p50`, ours.toFirstMs.p50, bare.toFirstMs.p50, "ms"),
      row(`RSS per idle viewer, ${n} viewers`, ours.rssPerViewerBytes / 1024, bare.rssPerViewerBytes / 1024, "KiB"),
      row(`bytes per frame per viewer, ${n} viewers (should be 1.00×)`, ours.bytesPerFrame, bare.bytesPerFrame, "B"),
    );
  }
  if (throughput) {
    const { connections: c, ours, bare } = throughput;
    // Latency stays in results.json only: autocannon counts whole ms, and the bare one is 0 ms.
    out.push(row(`write throughput, ${c} connections, no viewers`, ours.perSecond, bare.perSecond, "/s", "higher"));
  }
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
  if (unit === "/s") return `${Math.round(value).toLocaleString("en-US")}/s`;
  return `${value.toFixed(1)} ${unit}`;
}

const ratio = (value: number) =>
  !Number.isFinite(value) ? "n/a" : value >= 100 ? `${Math.round(value).toLocaleString("en-US")}×` : `${value.toFixed(2)}×`;

export function printTable(table: Row[], notes: string[]): void {
  const cells = table.map((r) => [r.figure, show(r.ours, r.unit), show(r.baseline, r.unit), ratio(r.ratio), `${r.better} is better`]);
  const header = ["figure", "realtime-svg", "baseline", "ratio", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join("  ");
  console.log(
    [
      "",
      "Ratios are realtime-svg ÷ baseline, both measured in this run. Baselines: a bare node:http",
      "broadcaster (fan-out, memory, writes), a template literal (render) and the same server idle (/health).",
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
