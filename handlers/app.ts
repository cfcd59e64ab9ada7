import { Router, type IRequest } from "itty-router";
import { createServices, type Services } from "./context.js";
import { StreamAdmission } from "./http/admission.js";
import { requireJsonType, setBodyDeadline, setBodySource } from "./http/body.js";
import { CorsPolicy, type CorsClass } from "./http/cors.js";
import { embedScript } from "./http/embed.js";
import { AppError, notFound } from "./http/errors.js";
import { health, ready } from "./http/health.js";
import { metricsRoute } from "./http/metrics-route.js";
import { withPlaceholder } from "./http/placeholder.js";
import { addPlainHeaders, errorResponse, plainAnswerOf, SVG_SECURITY_HEADERS } from "./http/respond.js";
import { uiAsset } from "./pages/assets.js";
import { frontPage, notFoundPage, sessionPage, sessionsPage, studioPage, wantsHtml } from "./pages/routes.js";
import type { AppOptions } from "./options.js";
import type { Broker } from "./ports/broker.js";
import { StoreUnavailableError, type SessionStore } from "./ports/session-store.js";
import { previewFrame } from "./sessions/preview.js";
import { createSession, deleteSession, getSession, patchSession, replaceSession } from "./sessions/routes.js";
import { rotateToken } from "./sessions/token.js";
import { deliverHook } from "./hooks/delivery.js";
import { createHook, deleteHook, hookDeliveries, listHooks, rotateHookSecret } from "./hooks/routes.js";
import { sessionEvents, sessionsEvents } from "./streaming/event-routes.js";
import { EventStreams } from "./streaming/event-viewer.js";
import { Hub } from "./streaming/hub.js";
import { wasSentDirectly } from "./streaming/outlet.js";
import { streamSession, type HostHooks, type StreamingContext } from "./streaming/routes.js";
import { pngSession, snapshotSession } from "./streaming/snapshots.js";
import { requestUrl } from "./http/request-url.js";

export interface App {
  /** `host` may offer per-request abilities, e.g. writing a stream straight to the connection. */
  fetch(request: Request, host?: HostHooks): Promise<Response>;
  /**
   * The first step of a drain: stop being ready, refuse new streams (503 draining) and end every
   * event stream so its client reconnects elsewhere; image streams stay open. Returns what was
   * open: image streams kept, event streams ended.
   */
  drain(): { streams: number; eventStreams: number };
  /** Stop being ready and end every open stream: image streams with their final boundary, event streams to reconnect. */
  shutdown(): void;
  readonly hub: Hub;
}

/** The two ports a host plugs in: where records live, and where their announcements arrive. */
export interface Ports {
  store: SessionStore;
  broker: Broker;
}

export interface CreateAppOptions extends AppOptions {
  /** Unexpected errors (500s, store outages) go here; hosts log them. */
  onError?: (error: unknown) => void;
  /** Services built once per isolate (the edge host builds an app per request); made here when absent. */
  services?: Services;
}

type Handler = (request: IRequest, ctx: StreamingContext, host: HostHooks | undefined) => Response | Promise<Response>;

interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  handler: Handler;
  /** Who may call it across origins (http/cors.ts); unset: no CORS headers (probes, metrics). */
  cors?: CorsClass;
  /** The body must be typed application/json (415 otherwise). A route taking another body opts out. */
  json?: boolean;
  /** An image route: every answer, errors included, carries the SVG security headers. */
  image?: boolean;
}

const READ = { cors: "read" } as const;
const IMAGE = { cors: "read", image: true } as const;
const JSON_WRITE = { cors: "write", json: true } as const;
const WRITE = { cors: "write" } as const;
/** A JSON write answered with an image: the image's security headers on every answer. */
const JSON_WRITE_IMAGE = { ...JSON_WRITE, image: true } as const;

/** The whole HTTP surface, one route per line. Every GET route answers HEAD too. */
const ROUTES: readonly Route[] = [
  { method: "GET", path: "/health", handler: health },
  { method: "GET", path: "/ready", handler: ready },
  { method: "GET", path: "/metrics", handler: metricsRoute },
  { method: "POST", path: "/api/session", handler: createSession, ...JSON_WRITE },
  { method: "GET", path: "/api/session/:id", handler: getSession, ...READ },
  { method: "PUT", path: "/api/session/:id", handler: replaceSession, ...JSON_WRITE },
  { method: "PATCH", path: "/api/session/:id", handler: patchSession, ...JSON_WRITE },
  { method: "DELETE", path: "/api/session/:id", handler: deleteSession, ...WRITE },
  { method: "POST", path: "/api/preview", handler: previewFrame, ...JSON_WRITE_IMAGE },
  { method: "POST", path: "/api/session/:id/token", handler: rotateToken, ...WRITE },
  { method: "POST", path: "/api/session/:id/hooks", handler: createHook, ...JSON_WRITE },
  { method: "GET", path: "/api/session/:id/hooks", handler: listHooks, ...WRITE },
  { method: "DELETE", path: "/api/session/:id/hooks/:hook", handler: deleteHook, ...WRITE },
  { method: "POST", path: "/api/session/:id/hooks/:hook/secret", handler: rotateHookSecret, ...WRITE },
  { method: "GET", path: "/api/session/:id/hooks/:hook/deliveries", handler: hookDeliveries, ...WRITE },
  // Webhook deliveries: any body type, no CORS (senders are servers, not pages).
  { method: "POST", path: "/hook/:hook", handler: deliverHook },
  { method: "GET", path: "/hook/:hook", handler: deliverHook },
  { method: "POST", path: "/hook/:hook/:token", handler: deliverHook },
  { method: "GET", path: "/hook/:hook/:token", handler: deliverHook },
  { method: "GET", path: "/stream/:id", handler: withPlaceholder(streamSession, "svg"), ...IMAGE },
  { method: "GET", path: "/svg/:id", handler: withPlaceholder(snapshotSession, "svg"), ...IMAGE },
  { method: "GET", path: "/png/:id", handler: withPlaceholder(pngSession, "png"), ...IMAGE },
  { method: "GET", path: "/events/:id", handler: sessionEvents, ...READ },
  { method: "GET", path: "/events", handler: sessionsEvents, ...READ },
  { method: "GET", path: "/", handler: frontPage },
  { method: "GET", path: "/new", handler: studioPage },
  { method: "GET", path: "/session/:id", handler: sessionPage, ...READ },
  { method: "GET", path: "/sessions", handler: sessionsPage },
  { method: "GET", path: "/ui/:file", handler: uiAsset },
  { method: "GET", path: "/embed.js", handler: embedScript, ...READ },
];

/** One path of the table with all its methods: what 405, OPTIONS and the per-path headers need. */
interface PathEntry {
  path: string;
  match: RegExp;
  routes: Route[];
  /** The Allow header: its methods, HEAD with GET, and OPTIONS. */
  allow: string;
  image: boolean;
}

const requireJson = (request: IRequest) => {
  requireJsonType(request);
};

/** `registered`: the router's own entries, whose patterns match exactly as it does. */
function paths(registered: readonly (readonly [string, RegExp, ...unknown[]])[]): PathEntry[] {
  const entries = new Map<string, PathEntry>();
  for (const route of ROUTES) {
    // itty-router keeps "/" as "" (it strips trailing slashes).
    const match = registered.find(([method, , , path]) => method === route.method && (path || "/") === route.path)![1];
    const entry = entries.get(route.path) ?? { path: route.path, match, routes: [], allow: "", image: false };
    entry.routes.push(route);
    entry.image ||= route.image === true;
    entries.set(route.path, entry);
  }
  for (const entry of entries.values()) {
    const methods = entry.routes.flatMap((route) => (route.method === "GET" ? ["GET", "HEAD"] : [route.method]));
    entry.allow = [...methods, "OPTIONS"].join(", ");
  }
  return [...entries.values()];
}

/**
 * What a busy replica is asked most, in this order: image streams, then session writes.
 * itty-router tries its routes in the order they were added, and each one passed on the way cost
 * about 0.1 µs (router.fetch for a stream took 8.4–11.7 µs from where /stream/:id is listed,
 * 4.6–4.9 µs first, in a microbenchmark), so these are added first. No two paths match one URL,
 * so the order changes no answer (routes-order.test.ts).
 */
const HOT = ["GET /stream/:id", "PATCH /api/session/:id", "PUT /api/session/:id"];
const hotness = (route: Route) => {
  const rank = HOT.indexOf(`${route.method} ${route.path}`);
  return rank < 0 ? HOT.length : rank;
};

/** Built once per process or isolate: it holds no state, every handler gets its app's context. */
const { router, table } = (() => {
  const router = Router<IRequest, [StreamingContext, HostHooks | undefined]>();
  // A stable sort: the other routes keep the table's order.
  for (const route of [...ROUTES].sort((a, b) => hotness(a) - hotness(b))) {
    const handlers = route.json ? [requireJson, route.handler] : [route.handler];
    router[route.method.toLowerCase()]!(route.path, ...handlers);
    if (route.method === "GET") router.head(route.path, ...handlers);
  }
  return { router, table: paths(router.routes) };
})();

const byPath = new Map(table.map((entry) => [entry.path, entry]));

/** @internal The router's routes in the order it tries them: method, pattern, path (tests). */
export const registeredRoutes = (): readonly (readonly [string, RegExp, string])[] =>
  router.routes.map(([method, match, , path]) => [method, match, path || "/"] as const);

/**
 * The table's entry for the request's path: the one of the route the router matched (it sets
 * `request.route` to that route's pattern, "" for "/"), else the path's entry for 405 and
 * OPTIONS, else none.
 */
function entryOf(request: IRequest): PathEntry | undefined {
  const route = (request as { route?: string }).route;
  if (typeof route === "string") return byPath.get(route || "/");
  const pathname = requestUrl(request).pathname;
  return table.find((candidate) => candidate.match.test(pathname));
}

/** Adds headers the handler did not set (Vary: appended); a response with immutable headers is copied first. */
function withHeaders(response: Response, extra: Record<string, string>): Response {
  const entries = Object.entries(extra);
  if (entries.length === 0) return response;
  let target = response;
  for (const [name, value] of entries) {
    if (name !== "Vary" && target.headers.has(name)) continue;
    try {
      if (name === "Vary") target.headers.append(name, value);
      else target.headers.set(name, value);
    } catch {
      // e.g. a fetch() response passed through: its headers are immutable
      target = new Response(target.body, target);
      if (name === "Vary") target.headers.append(name, value);
      else target.headers.set(name, value);
    }
  }
  return target;
}

/** A HEAD answer: the GET's status and headers, its length, no body. */
async function withoutBody(response: Response): Promise<Response> {
  if (response.body === null) return response;
  const headers = new Headers(response.headers);
  const length = (await response.arrayBuffer()).byteLength;
  if (!headers.has("content-length")) headers.set("Content-Length", String(length));
  return new Response(null, { status: response.status, statusText: response.statusText, headers });
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function createApp(ports: Ports, options: CreateAppOptions = {}): App {
  const services = options.services ?? createServices(options);
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const report = (error: unknown) => {
    if (error instanceof StoreUnavailableError) services.metrics.storeError();
    onError(error);
  };
  const hub = new Hub(ports.store, ports.broker, {
    onError: report,
    metrics: services.metrics,
    now: services.now,
    lostSessionGraceMs: services.limits.lostSessionGraceSeconds * 1000,
    defer: options.defer,
  });
  const streams = new StreamAdmission(services.limits, options.trustedProxy);
  const events = new EventStreams();
  const ctx: StreamingContext = { ...services, store: ports.store, hub, shuttingDown: false, report, streams, events };
  const cors = new CorsPolicy(options.corsOrigins);

  /** What the router does not answer: a preflight or OPTIONS, 405 on a known path, else 404. */
  function unrouted(request: IRequest, entry: PathEntry | undefined): Response | Promise<Response> {
    // A browser that navigates to no page gets the HTML 404 page; API clients the JSON.
    if (!entry && (request.method === "GET" || request.method === "HEAD") && wantsHtml(request)) return notFoundPage(request, ctx);
    if (!entry) throw notFound("route");
    if (request.method === "OPTIONS") return cors.preflight(request, entry.routes, entry.allow);
    throw new AppError("method_not_allowed", `${request.method} is not allowed on ${entry.path}; use ${entry.allow}`, {
      Allow: entry.allow,
    });
  }

  return {
    hub,
    async fetch(request, host) {
      const routed = request as IRequest;
      if (BODY_METHODS.has(request.method)) {
        setBodyDeadline(request, services.limits.bodyTimeoutMs);
        if (host?.body) setBodySource(request, host.body);
      }
      let response: Response;
      try {
        response = ((await router.fetch(routed, ctx, host)) as Response | undefined) ?? (await unrouted(routed, entryOf(routed)));
      } catch (error) {
        response = errorResponse(error, report);
      }
      const entry = entryOf(routed);
      const route = entry?.path ?? "unmatched";
      services.metrics.requestObserved(route, request.method, response.status);
      if (wasSentDirectly(response)) return response;

      const method = request.method === "HEAD" ? "GET" : request.method;
      const answered = entry?.routes.find((candidate) => candidate.method === method);
      const extra = { ...(entry?.image ? SVG_SECURITY_HEADERS : {}), ...cors.headers(request, answered?.cors) };
      const plain = host?.plainAnswers && request.method !== "HEAD" ? plainAnswerOf(response) : undefined;
      if (plain) {
        addPlainHeaders(plain.headers, extra);
        return response;
      }
      response = withHeaders(response, extra);
      return request.method === "HEAD" ? withoutBody(response) : response;
    },
    drain() {
      ctx.shuttingDown = true;
      streams.drain();
      const eventStreams = events.reconnectAll();
      return { streams: hub.viewerCount, eventStreams };
    },
    shutdown() {
      ctx.shuttingDown = true;
      streams.drain();
      events.reconnectAll();
      hub.endAll();
    },
  };
}
