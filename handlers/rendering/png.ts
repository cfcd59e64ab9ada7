import { initWasm, Resvg } from "@resvg/resvg-wasm";
import type { RenderAssets } from "./assets.js";
import { checkFilters, type FilterLimits } from "./filters.js";
import { woffToSfnt } from "./woff.js";
import { AppError } from "../http/errors.js";
import { SizedLru } from "../sized-lru.js";

export interface PngLimits extends FilterLimits {
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
 * SVG → PNG with resvg. resvg is given the host's default fonts (for <text> in svg frames) but none
 * of the system, and no image resolver, so it never reads a file or the network: an <image> naming
 * a URL is simply not drawn (html frames carry glyphs as paths). Pixels and filters are bounded
 * after resvg has parsed the frame (which gives its size) and before it renders.
 */
export class PngRenderer {
  private fontBuffers: Promise<Uint8Array[]> | undefined;
  private defaultFamily: string | undefined;

  constructor(
    private readonly assets: RenderAssets | undefined,
    private readonly limits: Pick<PngLimits, "maxPngPixels"> & FilterLimits,
  ) {}

  /** Loads resvg and converts the fonts: what the first PNG would otherwise wait for. */
  async ready(): Promise<void> {
    if (!this.assets) throw new AppError("png_unavailable", "this server was started without PNG support");
    await Promise.all([initResvg(this.assets), this.fonts()]);
  }

  async draw(svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>> {
    await this.ready();
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
      const pixels = resvg.width * resvg.height * scale * scale;
      if (pixels > this.limits.maxPngPixels) {
        throw new AppError("png_too_large", `the PNG would exceed ${this.limits.maxPngPixels} pixels; ask for a smaller scale`);
      }
      checkFilters(svg, pixels, scale, this.limits);
      const image = resvg.render();
      try {
        return image.asPng() as Uint8Array<ArrayBuffer>;
      } finally {
        image.free();
      }
    } finally {
      resvg.free();
    }
  }

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
}

/** What a failed render costs in the cache: the key and the error, roughly; enough to bound their number. */
const FAILURE_BYTES = 256;

type Outcome = { png: Uint8Array<ArrayBuffer> } | { failure: AppError };

/**
 * Frames as PNG, rendered at most once per frame version and scale: in front of the renderers
 * port, in the serving isolate. Finished PNGs live in a byte-bounded LRU, and concurrent requests
 * for one not yet rendered share the same render. A render refused for its input (any 4xx: too
 * many pixels, costly filters, past PNG_TIMEOUT_MS) is remembered in the same LRU, so asking again
 * costs nothing; a busy host (503) or a server fault is not remembered.
 */
export class PngFrames {
  private readonly done: SizedLru<string, Outcome>;
  private readonly pending = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  /** How many PNGs were handed to the renderer, failed ones included (tests and metrics read it). */
  renders = 0;

  constructor(
    private readonly draw: (svg: string, scale: number) => Promise<Uint8Array<ArrayBuffer>>,
    limits: Pick<PngLimits, "pngCacheBytes">,
  ) {
    this.done = new SizedLru(limits.pngCacheBytes);
  }

  /** `key` names the frame version; the same key must always mean the same SVG. */
  async png(key: string, svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>> {
    const cacheKey = `${key}@${scale}`;
    const hit = this.done.get(cacheKey);
    if (hit) {
      if ("failure" in hit) throw hit.failure;
      return hit.png;
    }
    let render = this.pending.get(cacheKey);
    if (!render) {
      this.renders++;
      render = this.draw(svg, scale).finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, render);
      void render.then(
        (png) => void this.done.set(cacheKey, { png }, png.byteLength),
        (error: unknown) => {
          if (error instanceof AppError && error.status < 500) this.done.set(cacheKey, { failure: error }, FAILURE_BYTES);
        },
      );
    }
    return render;
  }
}

/**
 * The scales GET /png/ID offers: 0.5 and every whole number up to `maxScale`. Few on purpose:
 * each scale of each frame version is its own render and cache entry, and any number from 0.1 to
 * 4 in steps of 0.01 (391 of them) let one frame be rendered 391 times, bypassing the cache.
 */
export function pngScales(maxScale: number): number[] {
  return [0.5, ...Array.from({ length: Math.floor(maxScale) }, (_, i) => i + 1)];
}

/** `scale` query option: 1 by default, else one of pngScales (written as any decimal equal to it: "2", "2.0"). */
export function parseScale(url: URL, maxScale: number): number {
  const raw = url.searchParams.get("scale");
  if (raw === null || raw === "") return 1;
  const scale = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !pngScales(maxScale).includes(scale)) {
    throw new AppError("invalid_scale", `scale must be one of ${pngScales(maxScale).join(", ")}`);
  }
  return scale;
}
