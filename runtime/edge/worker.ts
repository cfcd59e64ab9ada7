/**
 * The edge host: a worker module (Cloudflare Workers / workerd; Vercel Edge through a one-line
 * wrapper) serving the same handlers as the Node host, on Redis over HTTP. Built into one ESM
 * file by `npm run build:edge` (dist/edge/worker.js); see README.md beside this file.
 *
 * What lives how long: the configuration, the services (template engine, html and PNG renderers
 * with their caches, the write queue) and the session store (plain HTTP requests, no connection)
 * are made once per isolate. The broker and the hub are made per request: workerd binds every
 * stream and timer to the request that created it and cancels them when that request ends, so a
 * hub shared by the isolate would hang one viewer's updates on the subscription another viewer's
 * request opened, and lose them when that viewer left (checked in workerd: the remaining stream
 * stalled and was cancelled as hung). Per request, each stream owns its subscription.
 */
import { createApp, createServices, errorJson, type Services, type SessionStore } from "../../handlers/index.js";
import { ConfigError } from "../config.js";
import { upstashBroker, upstashStore, type UpstashOptions } from "../stores/upstash.js";
import { edgeRenderAssets } from "./assets.js";
import { edgeUiHost } from "./ui.js";
import { loadEdgeConfig, type EdgeConfig } from "./config.js";

/** The worker's bindings: strings from `vars` and secrets; other binding kinds are ignored. */
export type EdgeEnv = Record<string, unknown>;

/** The part of the runtime's execution context this entry uses (none yet). */
export interface EdgeContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface Isolate {
  upstash: UpstashOptions;
  store: SessionStore;
  services: Services;
  corsOrigins: EdgeConfig["corsOrigins"];
}

/** Made on the first request: bindings do not change within an isolate. */
let isolate: Isolate | ConfigError | undefined;

function startIsolate(env: EdgeEnv): Isolate | ConfigError {
  let config;
  try {
    config = loadEdgeConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`realtime-svg edge: ${error.message}`);
    return error;
  }
  const upstash: UpstashOptions = {
    url: config.upstashUrl,
    token: config.upstashToken,
    prefix: config.keyPrefix,
    heartbeatMs: config.heartbeatMs,
    onError: (error) => console.error(`upstash subscriber: ${error.message}`),
  };
  const services = createServices({
    apiKey: config.apiKey,
    secretsKey: config.secretsKey,
    publicUrl: config.publicUrl,
    limits: config.limits,
    assets: edgeRenderAssets(),
    ui: edgeUiHost(),
  });
  return { upstash, store: upstashStore(upstash), services, corsOrigins: config.corsOrigins };
}

export default {
  async fetch(request: Request, env: EdgeEnv, _ctx: EdgeContext): Promise<Response> {
    isolate ??= startIsolate(env);
    if (isolate instanceof ConfigError) {
      return errorJson("misconfigured", `the edge worker is misconfigured: ${isolate.message}`);
    }
    const app = createApp(
      { store: isolate.store, broker: upstashBroker(isolate.upstash) },
      { services: isolate.services, corsOrigins: isolate.corsOrigins, onError: (error) => console.error(error) },
    );
    return app.fetch(request);
  },
};
