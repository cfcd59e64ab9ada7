import { Router, type IRequest } from "itty-router";
import { createServices, type AppContext, type Services } from "./context.js";
import { notFound } from "./http/errors.js";
import { health, ready } from "./http/health.js";
import { metricsRoute } from "./http/metrics-route.js";
import { errorResponse } from "./http/respond.js";
import { viewerPage } from "./http/viewer-page.js";
import type { AppOptions } from "./options.js";
import type { Broker } from "./ports/broker.js";
import { StoreUnavailableError, type SessionStore } from "./ports/session-store.js";
import { createSession, deleteSession, getSession, patchSession, replaceSession } from "./sessions/routes.js";
import { Hub } from "./streaming/hub.js";
import { streamSession, type HostHooks } from "./streaming/routes.js";
import { pngSession, snapshotSession } from "./streaming/snapshots.js";

export interface App {
  /** `host` may offer per-request abilities, e.g. writing a stream straight to the connection. */
  fetch(request: Request, host?: HostHooks): Promise<Response>;
  /** Stop being ready and end every open stream with its final boundary. */
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

const notFoundRoute = () => {
  throw notFound("route");
};

/** The whole HTTP surface, one route per line. */
function routes() {
  return Router<IRequest, [AppContext, HostHooks | undefined]>()
    .get("/health", health)
    .get("/ready", ready)
    .get("/metrics", metricsRoute)
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

export function createApp(ports: Ports, options: CreateAppOptions = {}): App {
  const services = options.services ?? createServices(options);
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const report = (error: unknown) => {
    if (error instanceof StoreUnavailableError) services.metrics.storeError();
    onError(error);
  };
  const hub = new Hub(ports.store, ports.broker, { onError: report, metrics: services.metrics, now: services.now });
  const ctx: AppContext = { ...services, store: ports.store, hub, shuttingDown: false, report };
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
      services.metrics.requestObserved(route === "*" ? "unmatched" : route, request.method, response.status);
      return response;
    },
    shutdown() {
      ctx.shuttingDown = true;
      hub.endAll();
    },
  };
}
