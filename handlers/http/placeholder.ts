import type { IRequest } from "itty-router";
import type { AppContext } from "../context.js";
import type { Renderers } from "../ports/renderers.js";
import { prefersImageOverJson } from "./accept.js";
import { AppError, SessionNotFound } from "./errors.js";
import { SVG_SECURITY_HEADERS } from "./respond.js";

/**
 * What an image URL of a session that is not there (never made, expired, deleted) answers an image
 * request with: a 404 whose body is a small picture saying so, because an `<img>` shows a JSON
 * 404 as a broken-image icon. API clients still get the JSON error.
 */

const WIDTH = 180;
const HEIGHT = 28;

/** "session ended" when the store recorded a delete; "session not found" otherwise (expired ones too: nothing is left to tell). */
export function placeholderSvg(ended: boolean): string {
  const text = ended ? "session ended" : "session not found";
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${text}">` +
    `<title>${text}</title><rect width="${WIDTH}" height="${HEIGHT}" rx="4" fill="#6b7280"/>` +
    `<text x="${WIDTH / 2}" y="18.5" text-anchor="middle" fill="#ffffff" font-family="Verdana, DejaVu Sans, sans-serif" font-size="12">${text}</text></svg>`
  );
}

/** An image request: the browser says it loads an image, or its Accept ranks SVG above JSON. */
export function wantsImage(request: Request): boolean {
  if (request.headers.get("sec-fetch-dest") === "image") return true;
  return prefersImageOverJson(request.headers.get("accept"));
}

/**
 * The placeholders of one process or isolate. The PNGs are drawn once, on first use, through the
 * renderers port (on the Node host a render process), and kept: two small images, never evicted,
 * so a flood of requests for missing sessions costs no renders.
 */
export class Placeholders {
  private readonly pngs = new Map<boolean, Promise<Uint8Array<ArrayBuffer> | null>>();

  constructor(private readonly renderers: Renderers) {}

  /** The 404, as PNG when asked and this host can draw one, else as SVG (which an `<img>` shows whatever the URL). */
  async response(format: "svg" | "png", ended: boolean): Promise<Response> {
    const headers = { ...SVG_SECURITY_HEADERS, "Cache-Control": "no-store" };
    const png = format === "png" ? await this.png(ended) : null;
    if (png) return new Response(png.slice(), { status: 404, headers: { ...headers, "Content-Type": "image/png" } });
    return new Response(placeholderSvg(ended), { status: 404, headers: { ...headers, "Content-Type": "image/svg+xml; charset=utf-8" } });
  }

  /** null when no PNG can be had now; only a host without PNG support is taken as final. */
  private png(ended: boolean): Promise<Uint8Array<ArrayBuffer> | null> {
    let png = this.pngs.get(ended);
    if (!png) {
      png = this.renderers.png(placeholderSvg(ended), 1).catch((error: unknown) => {
        if (!(error instanceof AppError && error.code === "png_unavailable")) this.pngs.delete(ended);
        return null;
      });
      this.pngs.set(ended, png);
    }
    return png;
  }
}

type ImageHandler<C extends AppContext, H> = (request: IRequest, ctx: C, host: H) => Response | Promise<Response>;

/**
 * An image route whose 404 is a placeholder for image requests: always for `png`, which no API
 * client asks for; for `svg` (and streams) when `wantsImage`.
 */
export function withPlaceholder<C extends AppContext, H>(handler: ImageHandler<C, H>, format: "svg" | "png"): ImageHandler<C, H> {
  return async (request, ctx, host) => {
    try {
      return await handler(request, ctx, host);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "not_found") throw error;
      if (format === "svg" && !wantsImage(request)) throw error;
      return ctx.placeholders.response(format, error instanceof SessionNotFound && error.ended);
    }
  };
}
