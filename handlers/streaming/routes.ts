import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import { notFound } from "../http/errors.js";
import { SVG_SECURITY_HEADERS } from "../http/respond.js";
import { parseSessionId } from "../sessions/ids.js";
import { directResponse, readableOutlet, type DirectStreams } from "./outlet.js";
import { snapshotResponse } from "./snapshots.js";
import { isTopLevelNavigation, parseStreamOptions } from "./stream-options.js";
import { StreamViewer } from "./viewer.js";

/** Per-request abilities a host may offer the handlers. */
export interface HostHooks {
  directStreams?: DirectStreams;
}

const STREAM_HEADERS = {
  ...SVG_SECURITY_HEADERS,
  "Cache-Control": "no-cache, no-store",
  "X-Accel-Buffering": "no",
};

/** GET /stream/:id: the live image. */
export async function streamSession(request: IRequest, ctx: AppContext, host?: HostHooks): Promise<Response> {
  const id = parseSessionId(request.params.id);
  if (isTopLevelNavigation(request)) {
    return new Response(null, { status: 303, headers: { Location: `/session/${id}`, "Cache-Control": "no-store" } });
  }
  const options = parseStreamOptions(new URL(request.url), request, ctx.limits);
  if (options.asBot) return snapshotResponse(request, await loadSession(ctx, id));

  const viewer = new StreamViewer(ctx.hub, ctx.metrics, options.doubleFrame);
  if (!(await viewer.join(id, options.keepAliveMs))) throw notFound(`session ${id}`);

  const headers = { ...STREAM_HEADERS, "Content-Type": viewer.contentType };
  let response: Response;
  if (host?.directStreams) {
    viewer.attach(host.directStreams.open(200, headers, viewer));
    response = directResponse();
  } else {
    const { outlet, body } = readableOutlet(viewer);
    viewer.attach(outlet);
    response = new Response(body, { status: 200, headers });
  }
  if (options.delayedStartMs > 0) setTimeout(() => viewer.start(), options.delayedStartMs);
  else viewer.start();
  return response;
}
