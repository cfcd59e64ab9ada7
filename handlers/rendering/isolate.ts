import type { Limits } from "../options.js";
import type { Renderers } from "../ports/renderers.js";
import type { RenderAssets } from "./assets.js";
import { HtmlRenderer } from "./html.js";
import { PngRenderer } from "./png.js";

/**
 * The default renderers: satori and resvg in the isolate that serves the request. Their work is
 * synchronous, so nothing here can stop a render once it computes: the bounds checked before it
 * (markup bytes, elements, depth and text; PNG pixels and filters) and the soft html deadline are
 * all there is. The edge host keeps these, and there the platform's limits are the hard stop:
 * Cloudflare Workers end an invocation that passes its CPU time limit (10 ms on the free plan;
 * 30 s by default on the paid plan, up to 5 min with `limits.cpu_ms`) and an isolate that passes
 * 128 MB of memory (developers.cloudflare.com/workers/platform/limits). An isolate may serve
 * several requests at once, so a render in progress still delays the others in it until then.
 * The Node host, whose one thread serves every request, passes runtime/node/render-pool.ts.
 */
export function isolateRenderers(assets: RenderAssets | undefined, limits: Limits): Renderers {
  const html = new HtmlRenderer(assets, limits);
  const png = new PngRenderer(assets, limits);
  return {
    html: (markup, width, height) => html.toSvg(markup, width, height),
    png: (svg, scale) => png.draw(svg, scale),
  };
}
