import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import { SVG_SECURITY_HEADERS } from "../http/respond.js";
import { parseScale } from "../rendering/png.js";
import { parseSessionId } from "../sessions/ids.js";
import type { SessionRecord } from "../sessions/record.js";
import { requestUrl } from "../http/request-url.js";

/** Names one frame of one session: a re-created session never reuses an old tag. */
const frameTag = (record: SessionRecord, suffix = "") => `"${record.incarnation.toString(36)}-${record.version}${suffix}"`;

/** 304 when the request already holds `etag`; else null. */
function notModified(request: Request, etag: string, headers: Record<string, string>): Response | null {
  const match = request.headers.get("if-none-match");
  if (match && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
    return new Response(null, { status: 304, headers });
  }
  return null;
}

/** The current frame as a plain SVG, revalidated on every view (the form image proxies accept). */
export function snapshotResponse(request: Request, record: SessionRecord): Response {
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
  const scale = parseScale(requestUrl(request), ctx.limits.maxPngScale);
  const record = await loadSession(ctx, id);
  const etag = frameTag(record, scale === 1 ? "-png" : `-png-${scale}`);
  const headers = { ...SVG_SECURITY_HEADERS, "Cache-Control": "no-cache", ETag: etag };
  const cached = notModified(request, etag, headers);
  if (cached) return cached;
  const png = await ctx.png.png(`${id}:${etag}`, record.frame, scale);
  return new Response(png, { status: 200, headers: { ...headers, "Content-Type": "image/png" } });
}
