import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Logger } from "pino";
import { createApp, type App } from "../../handlers/app.js";
import { wasSentDirectly } from "../../handlers/streaming/outlet.js";
import { nodeRenderAssets } from "./assets.js";
import type { Store } from "../../handlers/ports/session-store.js";
import type { Config } from "../config.js";
import { directStreams } from "./direct-streams.js";
import { logRequests } from "./request-log.js";
import { createPrometheusMetrics, type PrometheusMetrics } from "./metrics.js";

export interface RunningServer {
  app: App;
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Graceful stop: not ready, end streams with their final boundary, close within the grace period. */
  shutdown(): Promise<void>;
}

/** GET /metrics is answered by the Node host itself: Prometheus is a Node-side concern. */
function serveMetrics(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
  metrics: PrometheusMetrics,
  token: string | undefined,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" || (req.url !== "/metrics" && !req.url?.startsWith("/metrics?"))) return listener(req, res);
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "Content-Type": "application/json", "WWW-Authenticate": "Bearer" });
      res.end(JSON.stringify({ error: "metrics need Authorization: Bearer <METRICS_TOKEN>", code: "unauthorized" }));
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" });
        res.end(text);
      },
      () => {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "metrics collection failed", code: "internal_error" }));
      },
    );
  };
}

export async function startServer(config: Config, store: Store, log: Logger): Promise<RunningServer> {
  // Serve even when the store is down at boot: /ready says so, and the store reconnects by itself.
  await store.connect?.().catch((error: unknown) => log.warn({ err: error }, "store not reachable yet; starting anyway"));
  const metrics = createPrometheusMetrics();
  const app = createApp(store, {
    limits: config.limits,
    apiKey: config.apiKey,
    publicUrl: config.publicUrl,
    metrics: metrics.hooks,
    assets: nodeRenderAssets(),
    onError: (error) => log.error({ err: error }, "request failed"),
  });
  metrics.watch(app.hub);
  const listener = getRequestListener(
    async (request, env) => {
      const response = await app.fetch(request, { directStreams: directStreams((env as HttpBindings).outgoing) });
      return wasSentDirectly(response) ? RESPONSE_ALREADY_SENT : response;
    },
    { hostname: config.host },
  );
  const server = createServer(logRequests(serveMetrics(listener, metrics, config.metricsToken), log));
  // Streams live for hours; only the request head has a deadline.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`;

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      app.shutdown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), config.shutdownGraceMs);
      });
      if ((await Promise.race([closed, grace])) === "timeout") {
        log.warn({ graceMs: config.shutdownGraceMs }, "grace period over; closing remaining connections");
        server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await store.close().catch((error) => log.warn({ err: error }, "store close failed"));
    })());
  return { app, server, url, shutdown };
}
