import type { IRequest } from "itty-router";
import type { AppContext } from "../context.js";
import { authorize } from "../http/auth.js";
import { readJsonBody } from "../http/body.js";
import type { HostHooks } from "../streaming/routes.js";
import { firstFrame } from "./first-frame.js";
import { parseBody, PreviewBody } from "./request-schema.js";

/**
 * POST /api/preview: the frame a session created from this body would store — the same schema,
 * checks, engine and limits as create (first-frame.ts) — answered as the image and stored
 * nowhere. It needs the API key exactly when create does: it costs what a create costs but a
 * store write, so an open preview on a keyed server would be an unauthenticated render service,
 * and whoever previews in order to create holds the key anyway. At most MAX_PREVIEWS_PER_CLIENT
 * and MAX_PREVIEWS at once (preview-admission.ts).
 */
export async function previewFrame(request: IRequest, ctx: AppContext, host: HostHooks | undefined): Promise<Response> {
  const apiKeyHash = await ctx.apiKeyHash;
  if (apiKeyHash) await authorize(request, [apiKeyHash], { what: "previews on this server", sha256: ctx.sha256 });
  const release = ctx.previews.admit(request, host);
  try {
    const body = parseBody(PreviewBody, await readJsonBody(request, ctx.limits.maxBodyBytes));
    const { frame } = await firstFrame(ctx, body);
    return new Response(frame, {
      status: 200,
      headers: { "Content-Type": "image/svg+xml; charset=utf-8", "Cache-Control": "no-store" },
    });
  } finally {
    release();
  }
}
