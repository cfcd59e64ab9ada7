/**
 * In-process render cost, run by bench/run.ts as a child process of its own (a clean heap, and
 * `node --cpu-prof` when profiling); prints one JSON line (RenderResult). Standalone:
 * `npx tsx bench/render.ts [--quick]`.
 *
 * The baseline is the same badge built with a template literal and a hand-written XML escape,
 * timed in the same loop style right before the others: every kind is reported as a multiple of
 * it. This is the only file of bench/ that imports app modules (listed here so a rename is found
 * quickly): handlers/options.ts, handlers/rendering/{liquid,html,png}.ts, runtime/node/assets.ts.
 */
import { pathToFileURL } from "node:url";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { HtmlRenderer } from "../handlers/rendering/html.js";
import { Renderer } from "../handlers/rendering/liquid.js";
import { PngRenderer } from "../handlers/rendering/png.js";
import { nodeRenderAssets } from "../runtime/node/assets.js";
import { BADGE_TEMPLATE, badgeArgs, badgeLiteral } from "./badge.js";
import { summarize } from "./stats.js";

const CARD_TEMPLATE =
  `<div style="display:flex;flex-direction:column;justify-content:center;width:100%;height:100%;` +
  `padding:0 24px;background:#0f172a;color:#f8fafc;font-size:28px">` +
  `<span style="font-weight:700">{{ title }}</span>` +
  `<span style="font-size:18px;color:#94a3b8">{{ detail }}</span></div>`;

export interface Timing {
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  samples: number;
}

export interface RenderResult {
  /** The template literal: the baseline of every row. */
  literal: Timing;
  /** svg kind: Liquid parse + render of the badge (what a PATCH does per update). */
  svg: Timing;
  /** html kind: Liquid + markup checks + satori, a 400×120 card. */
  html: Timing;
  /** PNG of that card (resvg), cache bypassed. */
  png: Timing;
}

/** Times `samples` calls one by one after `warmup` untimed ones; stops early after `maxMs`. */
async function time(call: (i: number) => Promise<unknown>, samples: number, warmup: number, maxMs: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await call(i);
  const ms: number[] = [];
  const started = performance.now();
  for (let i = 0; i < samples && performance.now() - started < maxMs; i++) {
    const t = performance.now();
    await call(i);
    ms.push(performance.now() - t);
  }
  const { p50, p99 } = summarize(ms);
  return { p50Ms: p50, p99Ms: p99, perSecond: ms.length / ((performance.now() - started) / 1000), samples: ms.length };
}

export async function benchRender(quick: boolean): Promise<RenderResult> {
  const n = (count: number) => (quick ? Math.ceil(count / 10) : count);
  const liquid = new Renderer(DEFAULT_LIMITS);
  const assets = nodeRenderAssets();
  const html = new HtmlRenderer(assets, DEFAULT_LIMITS);
  const png = new PngRenderer(assets, DEFAULT_LIMITS);
  // Arguments change every call, so no cache anywhere can help.
  const svgFrame = (i: number) => liquid.render(liquid.parse(BADGE_TEMPLATE), { ...badgeArgs(`passing ${i}`) });
  const card = (i: number) => ({ title: `Deploy #${i} & rollout`, detail: `${i % 100} of 100 pods ready` });
  const htmlFrame = async (i: number) => html.toSvg(await liquid.render(liquid.parse(CARD_TEMPLATE), card(i)), 400, 120);

  // Honesty check: the baseline must build byte-for-byte the frame the renderer builds.
  for (const i of [0, 7, 12345]) {
    if ((await svgFrame(i)) !== badgeLiteral(badgeArgs(`passing ${i}`))) throw new Error("the template literal differs from the renderer");
  }
  // Async like the others, so the comparison is not skewed by one side being synchronous.
  const literal = await time(async (i) => badgeLiteral(badgeArgs(`passing ${i}`)), n(20_000), n(2_000), 10_000);
  const svg = await time(svgFrame, n(20_000), n(2_000), 20_000);
  const htmlTiming = await time(htmlFrame, n(1_000), 50, 30_000);
  const frame = await htmlFrame(1);
  const pngTiming = await time(() => png.draw(frame, 1), n(300), 20, 30_000); // the renderer itself: no cache in front
  return { literal, svg, html: htmlTiming, png: pngTiming };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchRender(process.argv.includes("--quick"));
  // Exit once the line is flushed (a pipe is written asynchronously); --cpu-prof writes on exit.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}
