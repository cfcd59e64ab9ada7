import { Router, type IRequest } from "itty-router";
import { createContext, type AppContext } from "./context.js";
import { health, ready } from "./http/health.js";
import { Hub } from "./streaming/hub.js";
import type { AppOptions } from "./options.js";
import { errorJson, errorResponse } from "./http/respond.js";
import { createSession, deleteSession, getSession, patchSession, replaceSession } from "./sessions/routes.js";
import { pngSession, snapshotSession, streamSession, type HostHooks } from "./streaming/routes.js";
import { NO_METRICS } from "./metrics.js";
import { StoreUnavailableError, type Store } from "./ports/session-store.js";
import { viewerPage } from "./http/viewer-page.js";

export interface App {
  /** `host` may offer per-request abilities, e.g. writing a stream straight to the connection. */
  fetch(request: Request, host?: HostHooks): Promise<Response>;
  /** Stop being ready and end every open stream with its final boundary. */
  shutdown(): void;
  readonly hub: Hub;
}

export interface CreateAppOptions extends AppOptions {
  /** Unexpected errors (500s, store outages) go here; hosts log them. */
  onError?: (error: unknown) => void;
}

const notFoundRoute = () => errorJson(404, "not_found", "no such route");

/** The whole HTTP surface, one route per line. */
function routes() {
  return Router<IRequest, [AppContext, HostHooks | undefined]>()
    .get("/health", health)
    .get("/ready", ready)
    .post("/api/session", createSession)
    .get("/api/session/:id", getSession)
    .put("/api/session/:id", replaceSession)
    .patch("/api/session/:id", patchSession)
    .delete("/api/session/:id", deleteSession)
    .get("/stream/:id", streamSession)
    .get("/svg/:id", snapshotSession)
    .get("/png/:id", pngSession)
    .get("/session/:id", viewerPage)
    .all("*", notFoundRoute);
}

export function createApp(store: Store, options: CreateAppOptions = {}): App {
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const metrics = options.metrics ?? NO_METRICS;
  const report = (error: unknown) => {
    if (error instanceof StoreUnavailableError) metrics.storeError();
    onError(error);
  };
  const hub = new Hub(store, { onError: report, now: options.now });
  const ctx = createContext(store, hub, { ...options, metrics }, report);
  const router = routes();
  return {
    hub,
    async fetch(request, host) {
      let response: Response;
      try {
        response = (await router.fetch(request, ctx, host)) as Response;
      } catch (error) {
        response = errorResponse(error, report);
      }
      const route = (request as Partial<IRequest>).route ?? "unmatched";
      metrics.requestObserved(route === "*" ? "unmatched" : route, request.method, response.status);
      return response;
    },
    shutdown() {
      ctx.shuttingDown = true;
      hub.endAll();
    },
  };
}
