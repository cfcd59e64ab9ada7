import satori, { init as initSatori } from "satori/standalone";
import type { FontFace, RenderAssets } from "./assets.js";
import { AppError } from "../http/errors.js";
import { parseMarkup, type MarkupLimits, type MarkupNode } from "./markup.js";
import { exceedsUtf8 } from "../bytes.js";
import { RenderDeadline, type ClockState } from "./deadline.js";

export interface HtmlLimits extends MarkupLimits {
  maxHtmlText: number;
  /** Largest rendered markup handed to the parser, bytes of UTF-8. */
  maxHtmlBytes: number;
  /** Budget of satori's own layout and drawing, ms (time spent waiting for fonts and emoji is not billed). */
  renderTimeoutMs: number;
}

/**
 * Longest one frame waits for its fonts and emoji, ms. That wait is not billed to renderTimeoutMs
 * (a user's text should not fail because a disk or the event loop was slow), but it is bounded: a
 * host whose assets never answer is a server fault (500, logged), not a hung write.
 */
export const ASSET_TIMEOUT_MS = 10_000;

/** The host's fonts or emoji did not arrive within ASSET_TIMEOUT_MS. Not an AppError: the writer did nothing wrong. */
export class AssetTimeoutError extends Error {
  override readonly name = "AssetTimeoutError";
}

const toBase64 = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

function withTimeout<T>(load: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AssetTimeoutError(`${what} did not load within ${ASSET_TIMEOUT_MS} ms`)), ASSET_TIMEOUT_MS);
  });
  return Promise.race([load, late]).finally(() => clearTimeout(timer));
}

/** satori's layout engine is initialised once per isolate; every app in it shares that. */
let satoriReady: Promise<void> | undefined;

function loadSatori(assets: RenderAssets): Promise<void> {
  satoriReady ??= assets
    .satoriWasm()
    .then((wasm) => initSatori(wasm as never))
    .catch((error: unknown) => {
      satoriReady = undefined;
      throw error;
    });
  return satoriReady;
}

/**
 * Font data satori has already parsed. satori keeps parsed faces in a module-wide cache keyed by
 * the identity of each face's `data` ArrayBuffer, so a host that returns the same buffers (the
 * Node host does) pays the parse once per process; this set mirrors that cache so the parse can be
 * done ahead, outside the deadline.
 */
const parsedFonts = new WeakSet<ArrayBuffer>();
const NO_TEXT = { type: "div", props: { style: { display: "flex" } } } as never;

/**
 * Scripts the default faces never cover (they are Latin), by the name satori gives the language
 * when it asks loadAdditionalAsset; first match wins. Anything else non-Latin is "unknown".
 */
const FALLBACK_SCRIPTS: [language: string, pattern: RegExp][] = [
  ["ko-KR", /\p{scx=Hangul}/u],
  ["ja-JP", /\p{scx=Hira}|\p{scx=Kana}/u],
  ["zh-CN", /\p{scx=Han}/u],
  ["unknown", /[^\p{scx=Latin}\p{scx=Common}\p{scx=Inherited}]/u],
];
/** A grapheme satori draws as an emoji image: emoji presentation by default, or asked for with U+FE0F. */
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function textOf(node: MarkupNode, out: string[] = []): string[] {
  for (const child of node.props.children ?? []) {
    if (typeof child === "string") out.push(child);
    else textOf(child, out);
  }
  return out;
}

/**
 * html kind: rendered markup → SVG through satori, with text drawn as glyph paths (the SVG needs
 * no font of its own). Fonts beyond the defaults are loaded only when a frame needs them; the
 * assets object caches their bytes, this object caches the emoji it has turned into data URIs.
 *
 * Assets load outside the deadline. Before the timed section the frame's text is scanned for
 * scripts the default faces lack and for emoji; those fonts and emoji are asked for ahead, and
 * fonts satori has not parsed yet are parsed then (by a text-free satori call), so that inside
 * the timed section satori finds them in memory. The scan is a best guess; whatever satori still
 * asks for while rendering is awaited with the clock paused (RenderDeadline). Asset waits are
 * bounded separately (ASSET_TIMEOUT_MS).
 *
 * The deadline bills satori's own layout and drawing, which are synchronous CPU work that no
 * timer can interrupt. So the markup is bounded BEFORE satori runs (bytes, element count, depth),
 * and the deadline rejects a render whose billed time overran — when satori next asks for an
 * asset, or when it returns; it cannot preempt a render already computing. A host that can stop
 * the render (the Node host's render processes) follows the clock through `onClock` and does.
 */
export class HtmlRenderer {
  private fonts: Promise<FontFace[]> | undefined;
  /** Emoji grapheme → data URI ("" when the host has none); least recently used first. */
  private readonly emoji = new Map<string, Promise<string>>();
  private static readonly EMOJI_CACHE = 1024;

  constructor(
    private readonly assets: RenderAssets | undefined,
    private readonly limits: HtmlLimits,
    /** Told when the billed clock starts, pauses for an asset and resumes (see RenderDeadline). */
    private readonly onClock?: (state: ClockState) => void,
  ) {}

  /** Loads satori, the default fonts and lays out one line: what every first render would otherwise wait for. */
  ready(): Promise<FontFace[]> {
    const assets = this.assets;
    if (!assets) return Promise.reject(new AppError("html_unavailable", "this server was started without fonts for html sessions"));
    this.fonts ??= this.warmUp(assets).catch((error: unknown) => {
      this.fonts = undefined;
      throw error;
    });
    return this.fonts;
  }

  async toSvg(markup: string, width: number, height: number): Promise<string> {
    const assets = this.assets;
    if (!assets) throw new AppError("html_unavailable", "this server was started without fonts for html sessions");
    if (exceedsUtf8(markup, this.limits.maxHtmlBytes)) {
      throw new AppError("markup_too_large", `rendered markup exceeds ${this.limits.maxHtmlBytes} bytes`);
    }
    const tree = parseMarkup(markup, this.limits);
    const fonts = await this.ready();
    let deadline: RenderDeadline | undefined;
    try {
      await this.prefetch(assets, tree);
      deadline = new RenderDeadline(this.limits.renderTimeoutMs, () => this.timeout(), undefined, this.onClock);
      const clock = deadline;
      const svg = await Promise.race([
        satori(tree as never, {
          width,
          height,
          fonts,
          loadAdditionalAsset: (language, segment) => clock.pause(() => this.asset(assets, language, segment)),
        }),
        clock.expired,
      ]);
      if (clock.overran) throw this.timeout();
      return svg;
    } catch (error) {
      if (error instanceof AppError || error instanceof AssetTimeoutError) throw error;
      throw new AppError("render_failed", `html template failed to render: ${(error as Error).message}`);
    } finally {
      deadline?.stop();
    }
  }

  /** Loads the default fonts and lays out one line, so a cold start (wasm, font parsing) is not billed to a user's deadline. */
  private async warmUp(assets: RenderAssets): Promise<FontFace[]> {
    const [fonts] = await Promise.all([assets.defaultFonts(), loadSatori(assets)]);
    await satori({ type: "div", props: { style: { display: "flex" }, children: "warm" } } as never, { width: 10, height: 10, fonts });
    return fonts;
  }

  /**
   * Asks ahead for the fonts and emoji the frame's text will need, and has satori parse fonts it
   * has not seen, all before the deadline starts.
   */
  private async prefetch(assets: RenderAssets, tree: MarkupNode): Promise<void> {
    const text = textOf(tree).join("");
    // ASCII and Latin-1 only: the default faces draw it all.
    if (!/[\u{100}-\u{10ffff}]/u.test(text)) return;
    const byLanguage = new Map<string, Set<string>>();
    const emoji = new Set<string>();
    for (const { segment } of graphemes.segment(text)) {
      if (EMOJI.test(segment)) {
        emoji.add(segment);
        continue;
      }
      for (const char of segment) {
        const language = FALLBACK_SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0];
        if (!language) continue;
        let chars = byLanguage.get(language);
        if (!chars) byLanguage.set(language, (chars = new Set()));
        chars.add(char);
      }
    }
    const [faces] = await Promise.all([
      Promise.all([...byLanguage].map(([language, chars]) => this.fallbackFonts(assets, language, [...chars].join("")))),
      Promise.all([...emoji].map((segment) => this.emojiUri(segment))),
    ]);
    const fresh = faces.flat().filter((face) => !parsedFonts.has(face.data));
    if (fresh.length === 0) return;
    await satori(NO_TEXT, { width: 1, height: 1, fonts: fresh });
    for (const face of fresh) parsedFonts.add(face.data);
  }

  private timeout() {
    return new AppError("render_limit_exceeded", `html layout ran past ${this.limits.renderTimeoutMs} ms`);
  }

  /** What satori's loadAdditionalAsset answers: a data URI for an emoji, faces for other text. */
  private asset(assets: RenderAssets, language: string, segment: string): Promise<string | FontFace[]> {
    return language === "emoji" ? this.emojiUri(segment) : this.fallbackFonts(assets, language, segment);
  }

  private fallbackFonts(assets: RenderAssets, language: string, text: string): Promise<FontFace[]> {
    return withTimeout(assets.fallbackFonts(language, text), `fallback fonts for ${language}`);
  }

  /** satori draws an emoji as an image; an empty string leaves it out. Data URIs only: no fetch. */
  private emojiUri(segment: string): Promise<string> {
    let uri = this.emoji.get(segment);
    if (uri) {
      this.emoji.delete(segment);
    } else {
      const codePoints = [...segment].map((char) => char.codePointAt(0)!);
      uri = withTimeout(this.assets!.emojiSvg(codePoints), "an emoji").then((svg) =>
        svg ? `data:image/svg+xml;base64,${toBase64(svg)}` : "",
      );
      // A failed load is not remembered: the next frame asks again.
      uri.catch(() => this.emoji.get(segment) === uri && this.emoji.delete(segment));
      if (this.emoji.size >= HtmlRenderer.EMOJI_CACHE) this.emoji.delete(this.emoji.keys().next().value!);
    }
    this.emoji.set(segment, uri);
    return uri;
  }
}
