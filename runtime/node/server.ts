import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Logger } from "pino";
import { createApp, StoreUnavailableError, wasSentDirectly, type App, type Ports } from "../../handlers/index.js";
import type { Config } from "../config.js";
import { nodeRenderAssets } from "./assets.js";
import { directStreams } from "./direct-streams.js";
import { createPrometheusMetrics } from "./metrics.js";
import { logRequests } from "./request-log.js";

export interface RunningServer {
  app: App;
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Graceful stop: not ready, end streams with their final boundary, close within the grace period. */
  shutdown(): Promise<void>;
}

/**
 * A failed request is logged once, as one line: a store outage by its message (the connection's
 * own events say the rest), anything else with its stack.
 */
function logFailure(log: Logger, error: unknown): void {
  if (error instanceof StoreUnavailableError) log.warn({ reason: error.message }, "request failed: store unavailable");
  else log.error({ err: error }, "request failed");
}

export async function startServer(config: Config, ports: Ports, log: Logger): Promise<RunningServer> {
  const { store, broker } = ports;
  // Serve even when the store is down at boot: /ready says so, and the store reconnects by itself.
  await store.connect?.().catch((error: unknown) => log.warn({ reason: (error as Error).message }, "store not reachable yet; starting anyway"));
  const metrics = createPrometheusMetrics();
  const app = createApp(ports, {
    limits: config.limits,
    apiKey: config.apiKey,
    publicUrl: config.publicUrl,
    metrics: metrics.hooks,
    metricsEndpoint: metrics.endpoint(config.metricsToken),
    assets: nodeRenderAssets(),
    onError: (error) => logFailure(log, error),
  });
  metrics.watch(app.hub);
  const listener = getRequestListener(
    async (request, env) => {
      const response = await app.fetch(request, { directStreams: directStreams((env as HttpBindings).outgoing) });
      return wasSentDirectly(response) ? RESPONSE_ALREADY_SENT : response;
    },
    { hostname: config.host },
  );
  const server = createServer(logRequests(listener, log));
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
      const closing = [store.close(), broker.close()].map((done) =>
        done.catch((error: unknown) => log.warn({ reason: (error as Error).message }, "store close failed")),
      );
      await Promise.all(closing);
    })());
  return { app, server, url, shutdown };
}
