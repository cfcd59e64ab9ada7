/**
 * The expensive half of rendering, as a port: satori (html markup → SVG) and resvg (SVG → PNG).
 * Both are synchronous CPU work that no timer in the calling thread can interrupt, so where they
 * run is the host's choice: in the isolate that serves requests (the default, rendering/isolate.ts;
 * the edge host keeps it, bounded by its platform's CPU limit), or in processes the host can stop
 * (the Node host: runtime/node/render-pool.ts, with a hard deadline and a memory ceiling).
 *
 * Both reject with an AppError when the input is at fault (markup_*, render_limit_exceeded,
 * frame_not_renderable, png_too_large, png_render_limit_exceeded) or the host is saturated
 * (render_busy); anything else is a server fault. Inputs are checked before the render starts
 * (rendering/markup.ts, rendering/filters.ts); the PNG cache and single-flight stay in front
 * (rendering/png.ts, PngFrames), in the serving isolate.
 */
export interface Renderers {
  /** html-kind markup (already Liquid-rendered) → SVG of width × height. */
  html(markup: string, width: number, height: number): Promise<string>;
  /** An SVG frame → PNG bytes at `scale`. */
  png(svg: string, scale: number): Promise<Uint8Array<ArrayBuffer>>;
}
