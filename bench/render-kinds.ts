/**
 * Render time per session kind (issue 5, item 7): what one write costs for an svg-kind frame
 * (Liquid parse + render) and an html-kind frame (Liquid + markup checks + satori), and what one
 * PNG costs (resvg, 400×120, cache bypassed). Standalone: `npx tsx bench/render-kinds.ts`.
 * Targets: svg ≤ 0.1 ms p50, html ≤ 10 ms p50, PNG ≤ 20 ms p50.
 */
import { pathToFileURL } from "node:url";
import { HtmlRenderer } from "../handlers/rendering/html.js";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { PngRenderer } from "../handlers/rendering/png.js";
import { Renderer } from "../handlers/rendering/liquid.js";
import { nodeRenderAssets } from "../runtime/node/assets.js";
import { BADGE_TEMPLATE } from "./render.js";
import { round, summarize } from "./stats.js";

export const CARD_TEMPLATE =
  `<div style="display:flex;flex-direction:column;justify-content:center;width:100%;height:100%;` +
  `padding:0 24px;background:#0f172a;color:#f8fafc;font-size:28px">` +
  `<span style="font-weight:700">{{ title }}</span>` +
  `<span style="font-size:18px;color:#94a3b8">{{ detail }}</span></div>`;

export interface KindTiming {
  /** Milliseconds per render. */
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  samples: number;
  targetP50Ms: number;
  met: boolean;
}

export interface RenderKindsResult {
  svg: KindTiming;
  html: KindTiming;
  png: KindTiming;
  /** Bytes of the html frame and of its PNG. */
  htmlFrameBytes: number;
  pngBytes: number;
}

async function time(run: (i: number) => Promise<unknown>, samples: number, warmup: number, targetP50Ms: number): Promise<KindTiming> {
  for (let i = 0; i < warmup; i++) await run(i);
  const ms = new Array<number>(samples);
  const started = performance.now();
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await run(i);
    ms[i] = performance.now() - t;
  }
  const elapsed = (performance.now() - started) / 1000;
  const summary = summarize(ms);
  return {
    p50Ms: round(summary.p50, 4),
    p99Ms: round(summary.p99, 4),
    perSecond: Math.round(samples / elapsed),
    samples,
    targetP50Ms,
    met: summary.p50 <= targetP50Ms,
  };
}

export async function benchRenderKinds(scale = 1): Promise<RenderKindsResult> {
  const liquid = new Renderer(DEFAULT_LIMITS);
  const assets = nodeRenderAssets();
  const html = new HtmlRenderer(assets, DEFAULT_LIMITS);
  const png = new PngRenderer(assets, { ...DEFAULT_LIMITS, pngCacheBytes: 0 });
  const badge = (i: number) => ({ label: "build & test", value: `passing ${i}`, color: "#4c1" });
  const card = (i: number) => ({ title: `Deploy #${i} & rollout`, detail: `${i % 100} of 100 pods ready` });
  const htmlFrame = async (i: number) => html.toSvg(await liquid.render(liquid.parse(CARD_TEMPLATE), card(i)), 400, 120);

  const svg = await time((i) => liquid.render(liquid.parse(BADGE_TEMPLATE), badge(i)), Math.round(20_000 * scale), 2_000, 0.1);
  const htmlTiming = await time(htmlFrame, Math.round(1_000 * scale), 50, 10);
  const frame = await htmlFrame(1);
  // A new key each time: this measures rendering, not the cache.
  const pngTiming = await time((i) => png.png(`bench:${i}`, frame, 1), Math.round(300 * scale), 20, 20);
  const pngBytes = (await png.png("bench:size", frame, 1)).byteLength;
  return { svg, html: htmlTiming, png: pngTiming, htmlFrameBytes: new TextEncoder().encode(frame).byteLength, pngBytes };
}

export function renderKindsTable(result: RenderKindsResult): string {
  const row = (name: string, t: KindTiming) =>
    `| ${name} | ${t.p50Ms} | ${t.p99Ms} | ${t.perSecond} | ≤ ${t.targetP50Ms} | ${t.met ? "met" : "MISSED"} |`;
  return [
    "| render | p50 ms | p99 ms | renders/s | target p50 ms | |",
    "|---|---|---|---|---|---|",
    row("svg kind (Liquid badge)", result.svg),
    row("html kind (Liquid + satori, 400×120 card)", result.html),
    row("PNG (resvg, 400×120)", result.png),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchRenderKinds();
  console.log(renderKindsTable(result));
  console.log(`html frame ${result.htmlFrameBytes} B, PNG ${result.pngBytes} B`);
}
