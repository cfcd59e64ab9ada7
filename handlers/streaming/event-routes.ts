import type { IRequest } from "itty-router";
import { loadSession } from "../context.js";
import { drainingError } from "../http/admission.js";
import { AppError, notFound } from "../http/errors.js";
import { parseSessionId } from "../sessions/ids.js";
import { EVENT_STREAM_TYPE, parseLastEventId, type EventForm } from "./event-stream.js";
import { EventStreamViewer } from "./event-viewer.js";
import { directResponse, readableOutlet } from "./outlet.js";
import type { HostHooks, StreamingContext } from "./routes.js";
import { keepAliveOption } from "./stream-options.js";
import { requestUrl } from "../http/request-url.js";

const EVENT_HEADERS = {
  "Content-Type": EVENT_STREAM_TYPE,
  "Cache-Control": "no-cache, no-store",
  "X-Accel-Buffering": "no",
  "X-Content-Type-Options": "nosniff",
  // Reads are open to every origin (http/cors.ts); a direct stream's head is written here, not by the app.
  "Access-Control-Allow-Origin": "*",
};

/** GET /events/:id: one session's frames as server-sent events. */
export function sessionEvents(request: IRequest, ctx: StreamingContext, host?: HostHooks): Promise<Response> {
  return openEvents(request, ctx, host, "single", [parseSessionId(request.params.id)]);
}

/** GET /events?ids=a,b,c: several sessions' frames on one connection, each event naming its session. */
export function sessionsEvents(request: IRequest, ctx: StreamingContext, host?: HostHooks): Promise<Response> {
  const raw = requestUrl(request).searchParams.get("ids") ?? "";
  const ids = [...new Set(raw.split(",").map((id) => id.trim()).filter((id) => id !== ""))].map(parseSessionId);
  if (ids.length === 0) throw new AppError("invalid_query", "ids must name at least one session: /events?ids=a,b (or /events/ID)");
  const max = ctx.limits.maxEventIds;
  if (ids.length > max) {
    throw new AppError("invalid_query", `ids names ${ids.length} sessions; one event stream carries at most ${max} (MAX_EVENT_IDS)`);
  }
  return openEvents(request, ctx, host, "multi", ids);
}

async function openEvents(
  request: IRequest,
  ctx: StreamingContext,
  host: HostHooks | undefined,
  form: EventForm,
  ids: string[],
): Promise<Response> {
  const keepAliveMs = keepAliveOption(requestUrl(request).searchParams, ctx.limits);
  if (request.method === "HEAD") {
    if (form === "single") await loadSession(ctx, ids[0]!);
    else if (!(await Promise.all(ids.map((id) => ctx.store.get(id)))).some(Boolean)) throw notFound(`every session of ${ids.join(",")}`);
    return new Response(null, { status: 200, headers: EVENT_HEADERS });
  }

  // Each session counts as a stream. No await between the count and the joins, which add to it.
  const client = ctx.streams.admit(request, ctx.hub.viewerCount, host, ids.length);
  const viewer = new EventStreamViewer(ctx.hub, ctx.metrics, ctx.events, {
    form,
    seen: parseLastEventId(request.headers.get("last-event-id"), form, ids[0]),
    keepAliveMs,
    onFinish: () => {
      if (client !== undefined) ctx.streams.release(client, ids.length);
    },
  });
  await viewer.join(ids);
  // A drain that began while it joined would not reach it: it is not open yet.
  if (ctx.shuttingDown) {
    viewer.closed();
    throw drainingError();
  }

  let response: Response;
  if (host?.directStreams) {
    viewer.attach(host.directStreams.open(200, EVENT_HEADERS, viewer));
    response = directResponse();
  } else {
    const { outlet, body } = readableOutlet(viewer);
    viewer.attach(outlet);
    response = new Response(body, { status: 200, headers: EVENT_HEADERS });
  }
  viewer.start();
  return response;
}
