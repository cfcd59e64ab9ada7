/**
 * html sessions (Liquid → markup → satori → SVG) and PNG frames (resvg), over real HTTP.
 * Pixels are read from the PNG the server serves, so "Korean renders" means glyphs were drawn.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PNG } from "pngjs";
import { NO_METRICS } from "../handlers/metrics.js";
import { createSession, startRenderServer, type RenderServer } from "./support/render-server.js";
import { HtmlRenderer } from "../handlers/rendering/html.js";
import type { RenderAssets } from "../handlers/rendering/assets.js";
import { DEFAULT_LIMITS } from "../handlers/options.js";
import { nodeRenderAssets } from "../runtime/node/assets.js";

const CARD =
  `<div style="display:flex;width:100%;height:100%;background:#ffffff;color:#000000;font-size:48px;` +
  `align-items:center;padding-left:10px">{{ text }}</div>`;

let server: RenderServer;
let renders = 0;

/** The describes that talk HTTP start a server; the renderer-level one needs none. */
function withServer() {
  beforeAll(async () => {
    server = await startRenderServer({ metrics: { ...NO_METRICS, renderObserved: () => void renders++ } });
  });
  afterAll(() => server?.close());
}

const html = (id: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  createSession(server.url, { session_id: id, template: CARD, args, kind: "html", width: 400, height: 120, ...extra });

async function png(path: string) {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status).toBe(200);
  return { response, image: PNG.sync.read(Buffer.from(await response.arrayBuffer())) };
}

/** Pixels in the box that are not the white background. */
function inked(image: PNG, x0: number, x1: number, y0 = 0, y1 = image.height): number {
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      if (image.data[i]! < 200 || image.data[i + 1]! < 200 || image.data[i + 2]! < 200) count++;
    }
  }
  return count;
}

describe("html sessions", () => {
  withServer();

  it("serve a 400×120 SVG whose text is glyph paths, and a 400×120 PNG", async () => {
    const created = await html("card", { text: "Build passing" });
    expect(created.response.status).toBe(201);
    expect(created.json["png_url"]).toBe(`${server.url}/png/card`);
    const svg = await (await fetch(`${server.url}/svg/card`)).text();
    expect(svg).toMatch(/^<svg width="400" height="120"/);
    expect(svg).not.toContain("<text");
    expect(svg).toContain("<path");
    const { response, image } = await png("/png/card");
    expect([image.width, image.height]).toEqual([400, 120]);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(inked(image, 0, 400)).toBeGreaterThan(200);
  });

  it("report kind, width and height, and re-render exactly once per update", async () => {
    const token = (await html("once-token", { text: "one" })).json["write_token"] as string;
    const read = await (await fetch(`${server.url}/api/session/once-token`)).json();
    expect(read).toMatchObject({ kind: "html", width: 400, height: 120, version: 1 });

    const before = renders;
    const put = await fetch(`${server.url}/api/session/once-token`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ args: { text: "two" } }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ kind: "html", width: 400, height: 120, version: 2 });
    expect(renders - before).toBe(1);
    // Ten viewers of the SVG cause no render at all: the stored frame is the SVG.
    await Promise.all(Array.from({ length: 10 }, () => fetch(`${server.url}/svg/once-token`).then((r) => r.text())));
    expect(renders - before).toBe(1);
  });

  it("svg sessions say kind svg and carry no size", async () => {
    await createSession(server.url, { session_id: "plain", template: '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>' });
    const read = await (await fetch(`${server.url}/api/session/plain`)).json();
    expect(read.kind).toBe("svg");
    expect(read).not.toHaveProperty("width");
  });

  it.each([
    [{ kind: "pdf", width: 10, height: 10 }, "kind"],
    [{ kind: "html" }, "need width and height"],
    [{ kind: "html", width: 0, height: 10 }, "from 1 to 4096"],
    [{ kind: "html", width: 4097, height: 10 }, "from 1 to 4096"],
    [{ kind: "html", width: 10.5, height: 10 }, "whole"],
    [{ kind: "html", width: "10", height: 10 }, "numbers"],
    [{ width: 10, height: 10 }, "html sessions"],
  ])("reject %j with 400", async (shape, message) => {
    const { response, json } = await createSession(server.url, { session_id: "bad", template: "<div>x</div>", ...shape });
    expect(response.status).toBe(400);
    expect(String(json["error"])).toContain(message);
  });

  it("draw Korean text and an emoji (pixels in each glyph area)", async () => {
    const template =
      `<div style="display:flex;width:100%;height:100%;background:#ffffff;color:#000000;font-size:64px;align-items:center">` +
      `<span style="width:200px">{{ ko }}</span><span style="width:200px">{{ emoji }}</span></div>`;
    const created = await createSession(server.url, {
      session_id: "hangul",
      template,
      args: { ko: "한국", emoji: "🚀" },
      kind: "html",
      width: 400,
      height: 120,
    });
    expect(created.response.status).toBe(201);
    const { image } = await png("/png/hangul");
    expect(inked(image, 0, 200)).toBeGreaterThan(500);
    // Twemoji's rocket is coloured: count non-grey pixels in the emoji's half.
    let coloured = 0;
    for (let y = 0; y < 120; y++) {
      for (let x = 200; x < 400; x++) {
        const i = (y * 400 + x) * 4;
        const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
      }
    }
    expect(coloured).toBeGreaterThan(300);
  });
});

describe("HtmlRenderer", () => {
  it("draw Korean with Noto Sans KR, not the missing-glyph boxes the default font would draw", async () => {
    const assets = nodeRenderAssets();
    const markup = `<div style="display:flex;font-size:64px">한국어</div>`;
    const withCjk = await new HtmlRenderer(assets, DEFAULT_LIMITS).toSvg(markup, 400, 120);
    const withoutCjk = await new HtmlRenderer({ ...assets, fallbackFonts: async () => [] }, DEFAULT_LIMITS).toSvg(markup, 400, 120);
    expect(withCjk).not.toBe(withoutCjk);
    // The missing-glyph box draws the code point's hex digits from straight lines only.
    expect(withCjk).toMatch(/[QC]/);
  });

  it("draw every Korean syllable of one text run, whichever font subset holds it (never a missing-glyph box)", async () => {
    const assets = nodeRenderAssets();
    const draw = (r: InstanceType<typeof HtmlRenderer>, text: string) =>
      r.toSvg(`<div style="display:flex;font-size:40px">${text}</div>`, 600, 100);
    // Path commands without coordinates: a glyph's shape wherever it is placed.
    const shape = (svg: string) =>
      [...svg.matchAll(/ d="([^"]+)"/g)].map((match) => match[1]!.replace(/[^A-Za-z]/g, "")).join("");
    // Noto's missing-glyph box (⊠), as drawn when a syllable's subset is not among the fonts:
    // 녕 and 반 live in different subsets.
    const wrongSubset = new HtmlRenderer({ ...assets, fallbackFonts: (language) => assets.fallbackFonts(language, "반") }, DEFAULT_LIMITS);
    const notdef = shape(await draw(wrongSubset, "녕"));
    expect(notdef.length).toBeGreaterThan(10);
    // The font comes in subsets that split the Hangul block: this one run needs several at once.
    const sentence = "안녕하세요반갑습니다";
    const drawn = shape(await draw(new HtmlRenderer(assets, DEFAULT_LIMITS), sentence));
    expect(drawn.split(notdef).length - 1, "missing-glyph boxes in the sentence").toBe(0);
    expect(drawn.length).toBeGreaterThan(notdef.length * sentence.length);
  });

  describe("deadline: renderTimeoutMs bills satori's own work, never the wait for fonts and emoji", () => {
    const BUDGET_MS = 250;
    /** Longer than the whole budget. */
    const DELAY_MS = 400;
    // The heavy markup below has ~6,800 characters of text: more than MAX_HTML_TEXT allows by default.
    const roomy = { ...DEFAULT_LIMITS, renderTimeoutMs: 60_000, maxHtmlText: 10_000 };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    /** The Node assets, every font and emoji load answering after DELAY_MS: a slow disk, or a busy event loop. */
    function slowAssets(): { assets: RenderAssets; loads: () => number } {
      const assets = nodeRenderAssets();
      let loads = 0;
      const slow = async <T>(load: () => Promise<T>) => {
        loads++;
        await sleep(DELAY_MS);
        return load();
      };
      return {
        assets: {
          ...assets,
          fallbackFonts: (language, text) => slow(() => assets.fallbackFonts(language, text)),
          emojiSvg: (codePoints) => slow(() => assets.emojiSvg(codePoints)),
        },
        loads: () => loads,
      };
    }

    /** Renders `markup` with slow assets and the real budget: the same SVG as with fast ones, though it took longer than the budget. */
    async function rendersDespiteSlowAssets(markup: string) {
      const reference = await new HtmlRenderer(nodeRenderAssets(), roomy).toSvg(markup, 400, 120);
      const withoutFallback = await new HtmlRenderer({ ...nodeRenderAssets(), fallbackFonts: async () => [] }, roomy).toSvg(markup, 400, 120);
      expect(reference, "the fallback faces draw this text").not.toBe(withoutFallback);
      const slow = slowAssets();
      const started = performance.now();
      const svg = await new HtmlRenderer(slow.assets, { ...DEFAULT_LIMITS, renderTimeoutMs: BUDGET_MS }).toSvg(markup, 400, 120);
      expect(performance.now() - started).toBeGreaterThan(DELAY_MS);
      expect(slow.loads()).toBeGreaterThan(0);
      expect(svg).toBe(reference);
      return svg;
    }

    it("renders Korean and an emoji whose fonts and image take longer than the whole budget to load", async () => {
      const svg = await rendersDespiteSlowAssets(`<div style="display:flex;font-size:64px"><span>한국어</span><span>🚀</span></div>`);
      expect(svg).toContain("data:image/svg+xml;base64,");
    });

    it("also when the font is one only satori knows to ask for while laying out (★, from a fallback face)", async () => {
      await rendersDespiteSlowAssets(`<div style="display:flex;font-size:64px">★★★</div>`);
    });

    it("still fails a render whose own layout overruns the budget, with or without asset waits", async () => {
      const heavy = (text: string) =>
        `<div style="display:flex;flex-wrap:wrap;font-size:12px">` +
        Array.from({ length: 400 }, (_, i) => `<span style="padding:2px">${text} ${i}</span>`).join("") +
        `</div>`;
      const tiny = { ...DEFAULT_LIMITS, renderTimeoutMs: 1, maxHtmlText: 10_000 };
      // No assets to wait for: caught when satori returns.
      await expect(new HtmlRenderer(nodeRenderAssets(), tiny).toSvg(heavy("build passing"), 800, 600)).rejects.toMatchObject({
        code: "render_limit_exceeded",
      });
      // Slow assets: their waits are not billed, the layout around them still is.
      await expect(new HtmlRenderer(slowAssets().assets, tiny).toSvg(heavy("한국어 🚀"), 800, 600)).rejects.toMatchObject({
        code: "render_limit_exceeded",
      });
      // The budget was what failed them, not the markup.
      await expect(new HtmlRenderer(nodeRenderAssets(), roomy).toSvg(heavy("한국어 🚀"), 800, 600)).resolves.toMatch(/^<svg/);
    });
  });
});

describe("GET /png/ID", () => {
  withServer();

  it("renders once per frame version however many ask at once, and answers 304 to its ETag", async () => {
    await html("busy", { text: "cache me" });
    const before = await fetch(`${server.url}/png/busy?scale=2`);
    expect(before.status).toBe(200);
    const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/png/busy`)));
    const tags = new Set(results.map((r) => r.headers.get("etag")));
    expect(tags.size).toBe(1);
    const bodies = await Promise.all(results.map((r) => r.arrayBuffer()));
    expect(new Set(bodies.map((b) => b.byteLength)).size).toBe(1);
    const scaled = PNG.sync.read(Buffer.from(await before.arrayBuffer()));
    expect([scaled.width, scaled.height]).toEqual([800, 240]);

    const etag = results[0]!.headers.get("etag")!;
    const again = await fetch(`${server.url}/png/busy`, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
  });

  it("counts one render for twenty concurrent requests", async () => {
    await html("count", { text: "count me" });
    const { PngFrames, PngRenderer } = await import("../handlers/rendering/png.js");
    const drawer = new PngRenderer(nodeRenderAssets(), DEFAULT_LIMITS);
    const renderer = new PngFrames((svg, scale) => drawer.draw(svg, scale), { pngCacheBytes: 1 << 20 });
    const svg = await (await fetch(`${server.url}/svg/count`)).text();
    await Promise.all(Array.from({ length: 20 }, () => renderer.png("count:1", svg, 1)));
    await renderer.png("count:1", svg, 1);
    expect(renderer.renders).toBe(1);
    await renderer.png("count:2", svg, 1);
    expect(renderer.renders).toBe(2);
  });

  it("offers scale 0.5 and whole scales; 2.0 is 2, one render and one ETag", async () => {
    await html("scales", { text: "half" });
    const half = await png("/png/scales?scale=0.5");
    expect([half.image.width, half.image.height]).toEqual([200, 60]);
    const two = await fetch(`${server.url}/png/scales?scale=2`);
    const twoPointZero = await fetch(`${server.url}/png/scales?scale=2.0`);
    expect(twoPointZero.headers.get("etag")).toBe(two.headers.get("etag"));
  });

  it.each(["0", "5", "abc", "-1", "1e3", "1.5", "0.1", "2.01"])("rejects scale=%s with 400", async (scale) => {
    await html(`scale-${scale.replace(/\W/g, "_")}`, { text: "x" });
    const response = await fetch(`${server.url}/png/scale-${scale.replace(/\W/g, "_")}?scale=${scale}`);
    expect(response.status).toBe(400);
  });

  it("serves svg-kind frames as PNG too, and 404 for no session", async () => {
    await createSession(server.url, {
      session_id: "red",
      template: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#f00"/></svg>',
    });
    const { image } = await png("/png/red");
    expect([image.width, image.height, image.data[0], image.data[1]]).toEqual([40, 20, 255, 0]);
    expect((await fetch(`${server.url}/png/nobody`)).status).toBe(404);
  });
});
