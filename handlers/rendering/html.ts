import satori, { init as initSatori } from "satori/standalone";
import type { FontFace, RenderAssets } from "./assets.js";
import { AppError } from "../http/errors.js";
import { parseMarkup, type MarkupLimits } from "./markup.js";
import { utf8Length } from "./liquid.js";

export interface HtmlLimits extends MarkupLimits {
  /** Largest rendered markup handed to the parser, bytes of UTF-8. */
  maxHtmlBytes: number;
  /** Wall-clock budget of satori's layout and drawing, ms. */
  renderTimeoutMs: number;
}


const toBase64 = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

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
 * html kind: rendered markup → SVG through satori, with text drawn as glyph paths (the SVG needs
 * no font of its own). Fonts beyond the defaults are loaded only when a frame needs them; the
 * assets object caches their bytes, this object caches the emoji it has turned into data URIs.
 *
 * The deadline: satori is async only while it waits for fonts and emoji; its layout and drawing
 * are synchronous CPU work that no timer can interrupt. So the markup is bounded BEFORE satori
 * runs (bytes, element count, depth), and the deadline rejects a render whose asset loading or
 * total time overran — it cannot preempt a render already computing.
 */
export class HtmlRenderer {
  private fonts: Promise<FontFace[]> | undefined;
  private readonly emoji = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly assets: RenderAssets | undefined,
    private readonly limits: HtmlLimits,
  ) {}

  async toSvg(markup: string, width: number, height: number): Promise<string> {
    const assets = this.assets;
    if (!assets) throw new AppError(501, "html_unavailable", "this server was started without fonts for html sessions");
    if (utf8Length(markup) > this.limits.maxHtmlBytes) {
      throw new AppError(400, "markup_too_large", `rendered markup exceeds ${this.limits.maxHtmlBytes} bytes`);
    }
    const tree = parseMarkup(markup, this.limits);
    this.fonts ??= this.warmUp(assets).catch((error: unknown) => {
      this.fonts = undefined;
      throw error;
    });
    const fonts = await this.fonts;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timeout()), this.limits.renderTimeoutMs);
    });
    try {
      const svg = await Promise.race([
        satori(tree as never, {
          width,
          height,
          fonts,
          loadAdditionalAsset: (language, segment) =>
            language === "emoji" ? this.emojiUri(segment) : assets.fallbackFonts(language, segment),
        }),
        deadline,
      ]);
      if (performance.now() - started > this.limits.renderTimeoutMs) throw this.timeout();
      return svg;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(400, "render_failed", `html template failed to render: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Loads the default fonts and lays out one line, so a cold start (wasm, font parsing) is not billed to a user's deadline. */
  private async warmUp(assets: RenderAssets): Promise<FontFace[]> {
    const [fonts] = await Promise.all([assets.defaultFonts(), loadSatori(assets)]);
    await satori({ type: "div", props: { style: { display: "flex" }, children: "warm" } } as never, { width: 10, height: 10, fonts });
    return fonts;
  }

  private timeout() {
    return new AppError(400, "render_limit_exceeded", `html layout ran past ${this.limits.renderTimeoutMs} ms`);
  }

  /** satori draws an emoji as an image; an empty string leaves it out. Data URIs only: no fetch. */
  private async emojiUri(segment: string): Promise<string> {
    let uri = this.emoji.get(segment);
    if (!uri) {
      const codePoints = [...segment].map((char) => char.codePointAt(0)!);
      uri = this.assets!.emojiSvg(codePoints).then((svg) => (svg ? `data:image/svg+xml;base64,${toBase64(svg)}` : undefined));
      if (this.emoji.size < 4096) this.emoji.set(segment, uri);
    }
    return (await uri) ?? "";
  }
}
