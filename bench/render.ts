/**
 * Render benchmark: Renderer.parse + render (what a PATCH does per update) against an in-run
 * baseline that builds the same string with a template literal and a hand-written XML escape.
 */
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { Renderer } from "../handlers/rendering/liquid.js";
import { watchGc, type GcTally } from "./probes.js";
import { summarize, type Summary } from "./stats.js";

/** A shields.io-like badge with three arguments. */
export const BADGE_TEMPLATE =
  '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="20" role="img" aria-label="{{ label }}: {{ value }}">' +
  '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
  '<rect width="70" height="20" fill="#555"/><rect x="70" width="80" height="20" fill="{{ color }}"/>' +
  '<rect width="150" height="20" fill="url(#s)"/>' +
  '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
  '<text x="35" y="14">{{ label }}</text><text x="110" y="14">{{ value }}</text></g></svg>';

export interface BadgeArgs {
  label: string;
  value: string;
  color: string;
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
/** The same five characters LiquidJS's `escape` filter replaces, with the same entities. */
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

/** The baseline: the badge as a plain template literal. */
export function badgeLiteral({ label, value, color }: BadgeArgs): string {
  const l = escapeXml(label);
  const v = escapeXml(value);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="20" role="img" aria-label="${l}: ${v}">` +
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
    `<rect width="70" height="20" fill="#555"/><rect x="70" width="80" height="20" fill="${escapeXml(color)}"/>` +
    '<rect width="150" height="20" fill="url(#s)"/>' +
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
    `<text x="35" y="14">${l}</text><text x="110" y="14">${v}</text></g></svg>`
  );
}

/** Arguments that change every iteration (no caching can help) and need escaping ("&"). */
const argsFor = (i: number): BadgeArgs => ({ label: "build & test", value: `passing ${i}`, color: "#4c1" });

export interface RenderVariant {
  /** Per-call latency, microseconds (each call timed on its own, so includes ~0.05 µs timer cost). */
  latencyUs: Summary;
  /** Calls per second from untimed loops (at least one of `iterations` calls, at least 1 s in all). */
  perSecond: number;
  /** GC pauses during the timed loop (explains most of the p99/max). */
  gc: GcTally;
}

export interface RenderResult {
  iterations: number;
  warmup: number;
  frameBytes: number;
  renderer: RenderVariant;
  literal: RenderVariant;
  /** How many times more calls per second the template literal manages. */
  throughputRatio: number;
  p50Ratio: number;
}

type Build = (i: number) => Promise<string> | string;

async function measure(build: Build, iterations: number, warmup: number, minLoopMs = 1_000): Promise<RenderVariant> {
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += (await build(i)).length;
  const samples = new Array<number>(iterations);
  const gcDone = watchGc();
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    const frame = await build(i);
    samples[i] = (performance.now() - started) * 1000;
    sink += frame.length;
  }
  const { tally: gc } = await gcDone();
  // Throughput: whole loops of `iterations` calls until at least `minLoopMs` have passed, so that
  // a cheap variant is not judged on a 10 ms loop that one preemption can halve.
  let calls = 0;
  const started = performance.now();
  do {
    for (let i = 0; i < iterations; i++) sink += (await build(i)).length;
    calls += iterations;
  } while (performance.now() - started < minLoopMs);
  const seconds = (performance.now() - started) / 1000;
  if (sink === 0) throw new Error("nothing rendered");
  return { latencyUs: summarize(samples), perSecond: calls / seconds, gc };
}

export async function benchRender(iterations = 20_000, warmup = 2_000): Promise<RenderResult> {
  const renderer = new Renderer(DEFAULT_LIMITS);
  const viaRenderer: Build = (i) => renderer.render(renderer.parse(BADGE_TEMPLATE), { ...argsFor(i) });
  // Both sides await, so the comparison is not skewed by one of them being synchronous.
  const viaLiteral: Build = async (i) => badgeLiteral(argsFor(i));

  // Honesty check: the baseline must produce byte-for-byte the same frame.
  for (const i of [0, 7, 12345]) {
    const [a, b] = [await viaRenderer(i), await viaLiteral(i)];
    if (a !== b) throw new Error(`baseline differs from the renderer:\n${a}\n${b}`);
  }
  const frameBytes = Buffer.byteLength(await viaLiteral(0));
  const rendered = await measure(viaRenderer, iterations, warmup);
  const literal = await measure(viaLiteral, iterations, warmup);
  return {
    iterations,
    warmup,
    frameBytes,
    renderer: rendered,
    literal,
    throughputRatio: literal.perSecond / rendered.perSecond,
    p50Ratio: rendered.latencyUs.p50 / literal.latencyUs.p50,
  };
}
