import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import { parseSessionId } from "../sessions/ids.js";
import { directResponse, readableOutlet, type DirectStreams } from "./outlet.js";
import { parseScale } from "../rendering/png.js";
import { SVG_SECURITY_HEADERS } from "../http/respond.js";
import type { SessionRecord } from "../ports/session-store.js";
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
  // Subscribe first, then read: a frame published in between is then not missed.
  const channel = await viewer.join(id, options.keepAliveMs);
  // A channel that already holds a frame is kept current by its subscription (and ended when
  // the session goes), so only the first local viewer of a session costs a store read.
  if (!channel.current) {
    let record: SessionRecord;
    try {
      record = await loadSession(ctx, id);
    } catch (error) {
      viewer.closed(); // unreachable store or no such session: leave the channel
      throw error;
    }
    ctx.hub.offer(channel, record.version, record.frame, record.expiresAt);
  }

  const headers = { ...STREAM_HEADERS, "Content-Type": channel.encoder.contentType };
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

const frameTag = (record: SessionRecord, suffix = "") => `"${record.createdAt.toString(36)}-${record.version}${suffix}"`;

/** 304 when the request already holds `etag`; else null. */
function notModified(request: Request, etag: string, headers: Record<string, string>): Response | null {
  const match = request.headers.get("if-none-match");
  if (match && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
    return new Response(null, { status: 304, headers });
  }
  return null;
}

/** The current frame as a plain SVG, revalidated on every view (the form image proxies accept). */
function snapshotResponse(request: Request, record: SessionRecord): Response {
  const etag = frameTag(record);
  const headers = { ...SVG_SECURITY_HEADERS, "Cache-Control": "no-cache", ETag: etag };
  return (
    notModified(request, etag, headers) ??
    new Response(record.frame, { status: 200, headers: { ...headers, "Content-Type": "image/svg+xml; charset=utf-8" } })
  );
}

/** GET /svg/:id */
export async function snapshotSession(request: IRequest, ctx: AppContext): Promise<Response> {
  return snapshotResponse(request, await loadSession(ctx, parseSessionId(request.params.id)));
}

/** GET /png/:id?scale=N: the current frame as PNG, rendered once per frame version and scale. */
export async function pngSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const id = parseSessionId(request.params.id);
  const scale = parseScale(new URL(request.url), ctx.limits.maxPngScale);
  const record = await loadSession(ctx, id);
  const etag = frameTag(record, scale === 1 ? "-png" : `-png-${scale}`);
  const headers = { ...SVG_SECURITY_HEADERS, "Cache-Control": "no-cache", ETag: etag };
  const cached = notModified(request, etag, headers);
  if (cached) return cached;
  const png = await ctx.png.png(`${id}:${etag}`, record.frame, scale);
  return new Response(png, { status: 200, headers: { ...headers, "Content-Type": "image/png" } });
}
