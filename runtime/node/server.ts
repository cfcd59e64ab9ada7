import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Logger } from "pino";
import {
  AppError,
  createApp,
  StoreUnavailableError,
  wasSentDirectly,
  type App,
  type BodySource,
  type DirectStreams,
  type HostHooks,
  type Ports,
} from "../../handlers/index.js";
import { ConfigError, type Config } from "../config.js";
import { nodeRenderAssets } from "./assets.js";
import { nodeUiHost } from "./ui-assets.js";
import { connectionBudget, openFilesLimit, type ConnectionBudget } from "./connection-budget.js";
import { nodeSha256 } from "./digest.js";
import { directStreams } from "./direct-streams.js";
import { incomingBody } from "./request-body.js";
import { answerMinimal, isMinimalRoute } from "./minimal-requests.js";
import { createPrometheusMetrics } from "./metrics.js";
import { renderPoolFromConfig } from "./render-pool.js";
import { logRequests } from "./request-log.js";
import { deferToTurnEnd } from "./turn-end.js";

export interface RunningServer {
  app: App;
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** The connection and stream caps in force (connection-budget.ts). */
  budget: ConnectionBudget;
  /**
   * SIGTERM: not ready, no new streams, event streams told to reconnect elsewhere; image streams
   * keep receiving frames until they have all closed or DRAIN_SECONDS pass; then `shutdown`.
   * Resolves when the process may exit.
   */
  drain(): Promise<void>;
  /**
   * Graceful stop: not ready, end streams with their final boundary, close within the grace
   * period. Called during a drain it cuts the drain short.
   */
  shutdown(): Promise<void>;
}

/** How often a drain checks whether its last image stream has closed. */
const DRAIN_POLL_MS = 200;

/**
 * A failed request is logged once, as one line: a store outage by its message (the connection's
 * own events say the rest), anything else with its stack.
 */
function logFailure(log: Logger, error: unknown): void {
  if (error instanceof StoreUnavailableError) log.warn({ reason: error.message }, "request failed: store unavailable");
  else if (error instanceof AppError && error.code === "store_full") log.warn({ reason: error.message }, "write refused: store full");
  else log.error({ err: error }, "request failed");
}

/** A failure to listen as the one line an operator needs, naming the setting to change. */
export function listenError(error: unknown, config: Pick<Config, "port" | "host">): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const port = `PORT=${config.port}`;
  const host = `HOST=${config.host}`;
  switch (code) {
    case "EADDRINUSE":
      return new ConfigError(`${port} is in use on ${config.host}`);
    case "EACCES":
      return new ConfigError(`${port} needs privileges this process lacks (use a port above 1023)`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return new ConfigError(`${host} does not resolve to an address`);
    case "EADDRNOTAVAIL":
      return new ConfigError(`${host} is not an address of this machine`);
    case "EAFNOSUPPORT":
      return new ConfigError(`${host} is of an address family this machine does not support`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

/** What this host offers a request's handler (HostHooks). */
class NodeHooks implements HostHooks {
  constructor(
    private readonly incoming: IncomingMessage,
    readonly directStreams?: DirectStreams,
    readonly body?: BodySource,
    /** The minimal path's: its writer (minimal-requests.ts) sends json() answers from their plain form. */
    readonly plainAnswers = false,
  ) {}

  /** Asked for only where a per-client cap counts (the first read of a connection's peer is a getpeername call). */
  get clientAddress(): string | undefined {
    return this.incoming.socket.remoteAddress;
  }
}

/** Answers after which the connection is closed: the client is slow or there is no room. */
const CLOSING_STATUSES = new Set([408, 503]);
/** Refused connections are logged at most this often, with the count since the last line. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

function refusals(log: Logger, message: string, fields: Record<string, unknown>): (error?: unknown) => void {
  let count = 0;
  let logged = -Infinity;
  return (error) => {
    count++;
    if (performance.now() - logged < REFUSAL_LOG_INTERVAL_MS) return;
    logged = performance.now();
    log.warn({ ...fields, count, ...(error instanceof Error ? { reason: error.message } : {}) }, message);
    count = 0;
  };
}

export async function startServer(config: Config, ports: Ports, log: Logger): Promise<RunningServer> {
  const { store, broker } = ports;
  // Serve even when the store is down at boot: /ready says so, and the store reconnects by itself.
  await store.connect?.().catch((error: unknown) => log.warn({ reason: (error as Error).message }, "store not reachable yet; starting anyway"));
  const metrics = createPrometheusMetrics();
  // html and PNG renders run in processes of their own, each with a deadline and a heap ceiling.
  const renderers = renderPoolFromConfig(config, { onReplaced: (event) => log.warn(event, "render process replaced") });
  const budget = connectionBudget({ maxConnections: config.maxConnections, maxStreams: config.limits.maxStreams }, openFilesLimit());
  for (const reason of budget.lowered) log.warn(reason);
  const app = createApp(ports, {
    limits: { ...config.limits, maxStreams: budget.maxStreams },
    corsOrigins: config.corsOrigins,
    trustedProxy: config.trustedProxyHeader ? { header: config.trustedProxyHeader, hops: config.trustedProxyHops } : undefined,
    apiKey: config.apiKey,
    secretsKey: config.secretsKey,
    publicUrl: config.publicUrl,
    metrics: metrics.hooks,
    metricsEndpoint: metrics.endpoint(config.metricsToken),
    assets: nodeRenderAssets(),
    ui: nodeUiHost(),
    renderers,
    sha256: nodeSha256,
    // After the turn's answers are sent (turn-end.ts): a write is answered before its fan-out starts.
    defer: deferToTurnEnd,
    onError: (error) => logFailure(log, error),
  });
  metrics.watch(app.hub);
  let draining: Promise<void> | undefined;
  // While draining, clients that keep connections open (proxies, API callers) move them to a ready replica.
  const closing = (status: number) => CLOSING_STATUSES.has(status) || draining !== undefined;
  const adapter = getRequestListener(
    async (request, env) => {
      const { incoming, outgoing } = env as HttpBindings;
      const response = await app.fetch(request, new NodeHooks(incoming, directStreams(outgoing), incomingBody(incoming)));
      if (wasSentDirectly(response)) return RESPONSE_ALREADY_SENT;
      if (closing(response.status)) response.headers.set("Connection", "close");
      return response;
    },
    { hostname: config.host },
  );
  // Image streams and writes skip the adapter (minimal-requests.ts): same app, same routes, a minimal request.
  const listener = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (isMinimalRoute(incoming)) {
      const hooks =
        incoming.method === "GET"
          ? new NodeHooks(incoming, directStreams(outgoing), undefined, true)
          : new NodeHooks(incoming, undefined, incomingBody(incoming), true);
      if (answerMinimal(app, incoming, outgoing, hooks, config.host, closing)) return;
    }
    return adapter(incoming, outgoing);
  };
  const server = createServer(logRequests(listener, log));
  // Streams live for hours; the request head has a deadline here, the body BODY_TIMEOUT_MS (body.ts).
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  // Beyond it Node closes new connections as they arrive, before they cost more than a descriptor.
  server.maxConnections = budget.maxConnections;
  server.on("drop", refusals(log, "connections refused: MAX_CONNECTIONS reached", { maxConnections: budget.maxConnections }));
  await new Promise<void>((resolve, reject) => {
    const failed = (error: unknown) => reject(listenError(error, config));
    server.once("error", failed);
    server.listen(config.port, config.host, () => {
      server.off("error", failed);
      // Once listening, an error is a failed accept (e.g. EMFILE): the connection is lost, the server is not.
      server.on("error", refusals(log, "connections lost: accept failed", {}));
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`;

  let cutDrainShort = () => {};
  const drain = () =>
    (draining ??= (async () => {
      const started = performance.now();
      const open = app.drain();
      log.info({ drainSeconds: config.drainSeconds, ...open }, "draining: not ready, no new streams, event streams told to reconnect");
      // The streams still open are counted when the drain ends: a second signal ends them right after.
      const over = await new Promise<{ outcome: "closed" | "timeout" | "cut short"; streams: number }>((resolve) => {
        const finish = (outcome: "closed" | "timeout" | "cut short") => {
          clearTimeout(timer);
          clearInterval(poll);
          resolve({ outcome, streams: app.hub.viewerCount });
        };
        const timer = setTimeout(() => finish("timeout"), config.drainSeconds * 1000);
        const poll = setInterval(() => app.hub.viewerCount === 0 && finish("closed"), DRAIN_POLL_MS);
        cutDrainShort = () => finish("cut short");
        if (app.hub.viewerCount === 0) finish("closed");
      });
      log.info({ ...over, ms: Math.round(performance.now() - started) }, "drain over");
      await shutdown();
    })());
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    cutDrainShort();
    return (stopping ??= (async () => {
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
      await renderers.close();
    })());
  };
  return { app, server, url, budget, drain, shutdown };
}
