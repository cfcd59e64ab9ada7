/**
 * The bounds checked before an expensive render: filters of a PNG (rendering/filters.ts), the PNG
 * scales offered (parseScale), the text of html markup (MAX_HTML_TEXT, rendering/markup.ts), and
 * the PNG cache remembering refusals (PngFrames), with a drawer that counts its calls.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { DEFAULT_LIMITS } from "../../handlers/options.js";
import { checkFilters, filterCost } from "../../handlers/rendering/filters.js";
import { parseMarkup } from "../../handlers/rendering/markup.js";
import { parseScale, PngFrames, pngScales } from "../../handlers/rendering/png.js";

const svg = (defs: string, body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"><defs>${defs}</defs>${body}</svg>`;
const MPX = 1024 * 1024;

/** The attacker's frames, as found against the server before these bounds. */
const ATTACKS = {
  morphology: svg(`<filter id="f"><feMorphology radius="10"/></filter>`, `<rect width="1024" height="1024" filter="url(#f)"/>`),
  rects: svg(
    `<filter id="f"><feGaussianBlur stdDeviation="5"/><feMorphology radius="3"/><feTurbulence baseFrequency="0.05" numOctaves="4"/></filter>`,
    Array.from({ length: 40 }, (_, i) => `<rect x="${i}" width="1000" height="1000" filter="url(#f)"/>`).join(""),
  ),
};

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as AppError).code;
  }
  return undefined;
};

describe("filterCost", () => {
  it("counts each reference of a filter with its primitives, and an feTurbulence by its octaves", () => {
    expect(filterCost(ATTACKS.rects, 1)).toEqual({ passes: 40 * (1 + 1 + 4), radius: 3 });
  });

  it("ignores filters nothing references, and children of primitives", () => {
    const frame = svg(
      `<filter id="unused"><feMorphology radius="99"/></filter><filter id="m"><feMerge><feMergeNode/><feMergeNode/></feMerge><feDiffuseLighting><feDistantLight/></feDiffuseLighting></filter>`,
      `<g filter="url('#m')"/>`,
    );
    expect(filterCost(frame, 1)).toEqual({ passes: 2, radius: 0 });
  });

  it("scales a morphology radius with the PNG's scale, not a convolution's order", () => {
    const frame = svg(
      `<filter id="a"><feMorphology radius="2 3"/></filter><filter id="b"><feConvolveMatrix order="5" kernelMatrix="1"/></filter>`,
      `<g filter="url(#a)"/><g style="filter: url(#b)"/>`,
    );
    expect(filterCost(frame, 4)).toEqual({ passes: 2, radius: 12 });
    expect(filterCost(frame, 0.5)).toEqual({ passes: 2, radius: 2 });
  });

  it("counts CSS filter functions in filter properties", () => {
    expect(filterCost(`<svg><g style="filter: blur(4px) drop-shadow(1px 1px 2px red)"/><rect filter="invert(1)"/></svg>`, 1).passes).toBe(3);
  });

  it("stays linear on unclosed filters (no rescans of the rest)", () => {
    const frame = `<svg>${"<filter id='x'><feOffset/>".repeat(50_000)}<g filter="url(#x)"/></svg>`;
    const started = performance.now();
    expect(filterCost(frame, 1).passes).toBe(1);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("checkFilters (MAX_PNG_FILTER_PIXELS, MAX_PNG_FILTER_RADIUS)", () => {
  it("refuses the attacks with 422 png_render_limit_exceeded, before rendering", () => {
    expect(codeOf(() => checkFilters(ATTACKS.morphology, MPX, 1, DEFAULT_LIMITS))).toBe("png_render_limit_exceeded");
    expect(codeOf(() => checkFilters(ATTACKS.rects, MPX, 1, DEFAULT_LIMITS))).toBe("png_render_limit_exceeded");
    expect(new AppError("png_render_limit_exceeded", "").status).toBe(422);
  });

  it("accepts exactly the radius limit, and refuses one pixel more, scale included", () => {
    const at = (radius: number) => svg(`<filter id="f"><feMorphology radius="${radius}"/></filter>`, `<g filter="url(#f)"/>`);
    const limits = { maxPngFilterRadius: 8, maxPngFilterPixels: Number.MAX_SAFE_INTEGER };
    expect(codeOf(() => checkFilters(at(8), MPX, 1, limits))).toBeUndefined();
    expect(codeOf(() => checkFilters(at(9), MPX, 1, limits))).toBe("png_render_limit_exceeded");
    expect(codeOf(() => checkFilters(at(2), MPX, 4, limits))).toBeUndefined();
    expect(codeOf(() => checkFilters(at(3), MPX, 4, limits))).toBe("png_render_limit_exceeded");
  });

  it("accepts exactly the filter-pixel limit, and refuses one pass more", () => {
    const passes = (n: number) => svg(`<filter id="f">${"<feOffset dx='1'/>".repeat(n)}</filter>`, `<g filter="url(#f)"/>`);
    const limits = { maxPngFilterRadius: 8, maxPngFilterPixels: 4 * MPX };
    expect(codeOf(() => checkFilters(passes(4), MPX, 1, limits))).toBeUndefined();
    expect(codeOf(() => checkFilters(passes(5), MPX, 1, limits))).toBe("png_render_limit_exceeded");
  });

  it("lets the shadows satori draws through at scale 4 on a 400×120 card (12 primitives)", () => {
    const shadow = (i: number) =>
      `<filter id="s${i}"><feGaussianBlur stdDeviation="6"/><feFlood flood-color="#000"/><feComposite operator="in"/></filter><g filter="url(#s${i})"/>`;
    const card = `<svg width="400" height="120">${Array.from({ length: 4 }, (_, i) => shadow(i)).join("")}</svg>`;
    expect(codeOf(() => checkFilters(card, 400 * 120 * 16, 4, DEFAULT_LIMITS))).toBeUndefined();
  });
});

describe("parseScale", () => {
  const scale = (value: string) => parseScale(new URL(`http://x/png/a${value === "" ? "" : `?scale=${value}`}`), 4);

  it("offers 0.5 and the whole numbers up to MAX_PNG_SCALE, 1 by default", () => {
    expect(pngScales(4)).toEqual([0.5, 1, 2, 3, 4]);
    expect(pngScales(1)).toEqual([0.5, 1]);
    expect(["", "0.5", "1", "2", "2.0", "3", "4.00"].map(scale)).toEqual([1, 0.5, 1, 2, 2, 3, 4]);
  });

  it("refuses any other scale with 400 invalid_scale (one frame had 391 of them)", () => {
    for (const value of ["1.5", "0.1", "2.01", "5", "0", "-1", "1e0", "abc", " 2"]) {
      expect(codeOf(() => scale(value)), value).toBe("invalid_scale");
    }
  });
});

describe("MAX_HTML_TEXT", () => {
  const hangul = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0xac00 + ((i * 7) % 11172))).join("");
  const limits = { ...DEFAULT_LIMITS, maxHtmlText: 10 };

  it("refuses the 20,000-syllable text (1.5 GB in satori before) at once with 400 markup_text_too_long", () => {
    const started = performance.now();
    expect(codeOf(() => parseMarkup(`<div style="display:flex">${hangul(20_000)}</div>`, DEFAULT_LIMITS))).toBe("markup_text_too_long");
    expect(codeOf(() => parseMarkup(`<div style="display:flex">${"W".repeat(60_000)}</div>`, DEFAULT_LIMITS))).toBe("markup_text_too_long");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(new AppError("markup_text_too_long", "").status).toBe(400);
  });

  it("counts every text node together, in code points, after entities", () => {
    expect(codeOf(() => parseMarkup(`<div><span>${hangul(5)}</span><span>${hangul(5)}</span></div>`, limits))).toBeUndefined();
    expect(codeOf(() => parseMarkup(`<div><span>${hangul(5)}</span><span>${hangul(6)}</span></div>`, limits))).toBe("markup_text_too_long");
    // Ten emoji are twenty UTF-16 units but ten characters; ten &amp; are fifty bytes but ten characters.
    expect(codeOf(() => parseMarkup(`<div>${"🚀".repeat(10)}</div>`, limits))).toBeUndefined();
    expect(codeOf(() => parseMarkup(`<div>${"&amp;".repeat(10)}</div>`, limits))).toBeUndefined();
    expect(codeOf(() => parseMarkup(`<div>${"&amp;".repeat(11)}</div>`, limits))).toBe("markup_text_too_long");
  });
});

describe("PngFrames", () => {
  /** A drawer that counts its calls and fails as told. */
  function drawer(outcome: () => Uint8Array<ArrayBuffer> | Error) {
    const calls = { n: 0 };
    const draw = async () => {
      calls.n++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const result = outcome();
      if (result instanceof Error) throw result;
      return result;
    };
    return { calls, frames: new PngFrames(draw, { pngCacheBytes: 1 << 20 }) };
  }

  it("remembers a refused render per frame version and scale: asking again draws nothing", async () => {
    const { calls, frames } = drawer(() => new AppError("png_render_limit_exceeded", "the PNG render ran past 2000 ms"));
    const first = await Promise.allSettled(Array.from({ length: 5 }, () => frames.png("s:1", "<svg/>", 2)));
    expect(first.every((r) => r.status === "rejected" && (r.reason as AppError).code === "png_render_limit_exceeded")).toBe(true);
    await expect(frames.png("s:1", "<svg/>", 2)).rejects.toMatchObject({ code: "png_render_limit_exceeded" });
    expect(calls.n).toBe(1);
    // Another scale or another version is another render.
    await expect(frames.png("s:1", "<svg/>", 1)).rejects.toMatchObject({ code: "png_render_limit_exceeded" });
    await expect(frames.png("s:2", "<svg/>", 2)).rejects.toMatchObject({ code: "png_render_limit_exceeded" });
    expect(calls.n).toBe(3);
  });

  it("does not remember a busy host or a server fault", async () => {
    let error: Error = new AppError("render_busy", "busy");
    const { calls, frames } = drawer(() => error);
    await expect(frames.png("s:1", "<svg/>", 1)).rejects.toMatchObject({ code: "render_busy" });
    error = new Error("thread crashed");
    await expect(frames.png("s:1", "<svg/>", 1)).rejects.toThrow("thread crashed");
    error = new AppError("png_render_limit_exceeded", "late");
    await expect(frames.png("s:1", "<svg/>", 1)).rejects.toMatchObject({ code: "png_render_limit_exceeded" });
    await expect(frames.png("s:1", "<svg/>", 1)).rejects.toMatchObject({ code: "png_render_limit_exceeded" });
    expect(calls.n).toBe(3);
  });

  it("bounds the failures it remembers by PNG_CACHE_BYTES", async () => {
    const calls = { n: 0 };
    const frames = new PngFrames(async () => {
      calls.n++;
      throw new AppError("png_render_limit_exceeded", "x");
    }, { pngCacheBytes: 256 * 10 });
    for (let i = 0; i < 11; i++) await frames.png(`s:${i}`, "<svg/>", 1).catch(() => undefined);
    expect(calls.n).toBe(11);
    await frames.png("s:10", "<svg/>", 1).catch(() => undefined); // the newest is kept
    await frames.png("s:0", "<svg/>", 1).catch(() => undefined); // the oldest was evicted
    expect(calls.n).toBe(12);
  });
});
