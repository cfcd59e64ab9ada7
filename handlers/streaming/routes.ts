import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import type { StreamAdmission } from "../http/admission.js";
import type { BodySource } from "../http/body.js";
import { notFound } from "../http/errors.js";
import { SVG_SECURITY_HEADERS } from "../http/respond.js";
import { parseSessionId } from "../sessions/ids.js";
import { newBoundary, streamContentType } from "./multipart.js";
import type { EventStreams } from "./event-viewer.js";
import { directResponse, readableOutlet, type DirectStreams, type Outlet, type OutletEvents } from "./outlet.js";
import { snapshotResponse } from "./snapshots.js";
import { isTopLevelNavigation, parseStreamOptions } from "./stream-options.js";
import { StreamViewer } from "./viewer.js";
import { requestUrl } from "../http/request-url.js";

/** Per-request abilities a host may offer the handlers. */
export interface HostHooks {
  directStreams?: DirectStreams;
  /** Reads the request's body without web streams (http/body.ts); absent, `request.body` is read. */
  body?: BodySource;
  /**
   * The connection's peer address: the client MAX_STREAMS_PER_CLIENT counts against
   * (http/admission.ts). Read only where a cap needs it, while the request's connection is open.
   */
  readonly clientAddress?: string | undefined;
  /**
   * The host writes a json() answer from plainAnswerOf (its status, text and headers) and never
   * reads the Response's own headers or body: app.fetch then adds its headers to the plain answer
   * instead of building the Response's Headers.
   */
  readonly plainAnswers?: boolean;
}

/** What the stream routes need besides the app's context: who may open another stream, and the open event streams. */
export interface StreamingContext extends AppContext {
  streams: StreamAdmission;
  events: EventStreams;
}

const STREAM_HEADERS = {
  ...SVG_SECURITY_HEADERS,
  "Cache-Control": "no-cache, no-store",
  "X-Accel-Buffering": "no",
  // Reads are open to every origin (http/cors.ts); a direct stream's head is written here, not by the app.
  "Access-Control-Allow-Origin": "*",
};

/**
 * A stream counted against its client: between the viewer and its outlet, it gives the client's
 * slot back exactly once, whichever way the stream ends (the client leaves: `closed`; the server
 * ends it: `close`). Made only when a per-client cap applies.
 */
class CountedStream implements Outlet, OutletEvents {
  private outlet: Outlet | null = null;
  private released = false;

  constructor(
    private readonly viewer: StreamViewer,
    private readonly admission: StreamAdmission,
    private readonly client: string,
  ) {}

  around(outlet: Outlet): Outlet {
    this.outlet = outlet;
    return this;
  }
  ready(): boolean {
    return this.outlet!.ready();
  }
  write(chunk: Uint8Array): void {
    this.outlet!.write(chunk);
  }
  close(): void {
    this.outlet!.close();
    this.release();
  }
  drained(): void {
    this.viewer.drained();
  }
  closed(): void {
    this.release();
    this.viewer.closed();
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.admission.release(this.client);
  }
}

/** GET /stream/:id: the live image. HEAD answers the same head without opening a stream. */
export async function streamSession(request: IRequest, ctx: StreamingContext, host?: HostHooks): Promise<Response> {
  const id = parseSessionId(request.params.id);
  if (isTopLevelNavigation(request)) {
    return new Response(null, { status: 303, headers: { Location: `/session/${id}`, "Cache-Control": "no-store" } });
  }
  const options = parseStreamOptions(requestUrl(request), request, ctx.limits);
  if (options.asBot) return snapshotResponse(request, await loadSession(ctx, id));
  if (request.method === "HEAD") {
    await loadSession(ctx, id);
    return new Response(null, { status: 200, headers: { ...STREAM_HEADERS, "Content-Type": streamContentType(newBoundary()) } });
  }

  // No await between the count and the join below, which adds to it.
  const client = ctx.streams.admit(request, ctx.hub.viewerCount, host);
  const viewer = new StreamViewer(ctx.hub, ctx.metrics, options.doubleFrame);
  const counted = client === undefined ? undefined : new CountedStream(viewer, ctx.streams, client);
  let joined = false;
  try {
    joined = await viewer.join(id, options.keepAliveMs);
  } finally {
    if (!joined) counted?.release();
  }
  if (!joined) throw notFound(`session ${id}`);

  const headers = viewer.headersWith(STREAM_HEADERS);
  const events: OutletEvents = counted ?? viewer;
  let response: Response;
  if (host?.directStreams) {
    // No await since the join: the viewer has the current part, and is not started twice.
    const first = options.delayedStartMs > 0 ? null : viewer.opening();
    const outlet = host.directStreams.open(200, headers, events, first ?? undefined);
    viewer.attach(counted ? counted.around(outlet) : outlet);
    if (first) {
      viewer.opened();
      return directResponse();
    }
    response = directResponse();
  } else {
    const { outlet, body } = readableOutlet(events);
    viewer.attach(counted ? counted.around(outlet) : outlet);
    response = new Response(body, { status: 200, headers });
  }
  if (options.delayedStartMs > 0) setTimeout(() => viewer.start(), options.delayedStartMs);
  else viewer.start();
  return response;
}
