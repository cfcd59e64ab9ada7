import type { AppContext } from "../context.js";
import { renderFrame } from "../rendering/pipeline.js";
import { STARTERS } from "./starters.js";

const cache = new WeakMap<object, Promise<Map<string, string>>>();

/**
 * The front door's pictures of the starters: each rendered once per process (per isolate) with
 * the same render step as a session, and shown as data: URIs. A starter this host cannot draw (the
 * html card without fonts) just has no picture.
 */
export function starterThumbnails(ctx: AppContext): Promise<Map<string, string>> {
  let thumbnails = cache.get(ctx.templates);
  if (!thumbnails) {
    thumbnails = Promise.all(
      STARTERS.map(async (starter) => {
        try {
          const frame = await renderFrame(ctx, starter, ctx.templates.parse(starter.template), starter.args);
          return [starter.id, `data:image/svg+xml,${encodeURIComponent(frame)}`] as const;
        } catch {
          return undefined;
        }
      }),
    ).then((entries) => new Map(entries.filter((entry) => entry !== undefined)));
    cache.set(ctx.templates, thumbnails);
  }
  return thumbnails;
}
