import { initWasm, Resvg } from "@resvg/resvg-wasm";
import type { RenderAssets } from "./assets.js";
import { woffToSfnt } from "./woff.js";
import { AppError } from "../http/errors.js";

export interface PngLimits {
  /** Largest `scale` a PNG request may ask for. */
  maxPngScale: number;
  /** Largest PNG, pixels (width × height after scaling). */
  maxPngPixels: number;
  /** Bytes of encoded PNGs kept in memory, newest first. */
  pngCacheBytes: number;
}

/** resvg-wasm can be initialised once per isolate; every app in it shares that. */
let resvgReady: Promise<void> | undefined;

function initResvg(assets: RenderAssets): Promise<void> {
  resvgReady ??= assets
    .resvgWasm()
    .then((wasm) => initWasm(wasm))
    .catch((error: unknown) => {
      // A second init (another copy of this module) throws "Already initialized": that is ready too.
      if (/already initiali[sz]ed/i.test(String(error))) return;
      resvgReady = undefined;
      throw error;
    });
  return resvgReady;
}

/**
 * Frames as PNG, rendered at most once per frame version and scale: finished PNGs live in a
 * byte-bounded LRU, and concurrent requests for one not yet rendered share the same render.
 * resvg is given the host's default fonts (for <text> in svg frames) but none of the system, and no
 * image resolver, so it never reads a file or the network: an <image> naming a URL is simply not drawn (html frames carry glyphs as paths).
 */
export class PngRenderer {
  private readonly done = new Map<string, Uint8Array<ArrayBuffer>>();
  private readonly pending = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  private cachedBytes = 0;
  /** How many PNGs were actually rendered (tests and metrics read it). */
  renders = 0;

  constructor(
    private readonly assets: RenderAssets | undefined,
    private readonly limits: PngLimits,
  ) {}

  /** `key` names the frame version; the same key must always mean the same SVG. */
  async png(key: string, svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>> {
    const cacheKey = `${key}@${scale}`;
    const hit = this.done.get(cacheKey);
    if (hit) {
      this.done.delete(cacheKey);
      this.done.set(cacheKey, hit);
      return hit;
    }
    let render = this.pending.get(cacheKey);
    if (!render) {
      render = this.render(svg, scale).finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, render);
      void render.then((png) => this.remember(cacheKey, png), () => undefined);
    }
    return render;
  }

  private fontBuffers: Promise<Uint8Array[]> | undefined;
  private defaultFamily: string | undefined;

  /** The host's default faces as SFNT (resvg reads no WOFF), converted once; `<text>` in svg frames uses them. */
  private fonts(): Promise<Uint8Array[]> {
    this.fontBuffers ??= this.assets!.defaultFonts().then((faces) => {
      this.defaultFamily = faces[0]?.name;
      return Promise.all(faces.map((face) => woffToSfnt(face.data)));
    });
    this.fontBuffers.catch(() => {
      this.fontBuffers = undefined;
    });
    return this.fontBuffers;
  }

  private async render(svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.assets) throw new AppError("png_unavailable", "this server was started without PNG support");
    await initResvg(this.assets);
    const fontBuffers = await this.fonts();
    let resvg: InstanceType<typeof Resvg>;
    try {
      resvg = new Resvg(svg, {
        fitTo: { mode: "zoom", value: scale },
        font: { loadSystemFonts: false, fontBuffers, defaultFontFamily: this.defaultFamily, sansSerifFamily: this.defaultFamily },
      });
    } catch (error) {
      throw new AppError("frame_not_renderable", `the frame is not an SVG resvg can draw: ${String(error)}`);
    }
    try {
      if (resvg.width * resvg.height * scale * scale > this.limits.maxPngPixels) {
        throw new AppError("png_too_large", `the PNG would exceed ${this.limits.maxPngPixels} pixels; ask for a smaller scale`);
      }
      const image = resvg.render();
      try {
        this.renders++;
        return image.asPng() as Uint8Array<ArrayBuffer>;
      } finally {
        image.free();
      }
    } finally {
      resvg.free();
    }
  }

  private remember(key: string, png: Uint8Array<ArrayBuffer>): void {
    if (png.byteLength > this.limits.pngCacheBytes / 4) return;
    this.done.set(key, png);
    this.cachedBytes += png.byteLength;
    for (const [oldest, bytes] of this.done) {
      if (this.cachedBytes <= this.limits.pngCacheBytes) break;
      this.done.delete(oldest);
      this.cachedBytes -= bytes.byteLength;
    }
  }
}

/** `scale` query option: 1 by default, a number from 0.1 up to the limit. */
export function parseScale(url: URL, maxScale: number): number {
  const raw = url.searchParams.get("scale");
  if (raw === null || raw === "") return 1;
  const scale = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(scale >= 0.1 && scale <= maxScale)) {
    throw new AppError("invalid_scale", `scale must be a number from 0.1 to ${maxScale}`);
  }
  return Math.round(scale * 100) / 100;
}
