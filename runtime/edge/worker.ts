/**
 * The edge host: a worker module (Cloudflare Workers / workerd; Vercel Edge through a one-line
 * wrapper) serving the same handlers as the Node host, on Redis over HTTP. Built into one ESM
 * file by `npm run build:edge` (dist/edge/worker.js); see README.md beside this file.
 *
 * The configuration is read once per isolate. The store and app are made per request: workerd
 * binds every fetch, stream and timer to the request that created it and cancels them when that
 * request ends. A hub shared by the isolate would hang one viewer's updates on the subscription
 * another viewer's request opened, and lose them when that viewer left (checked in workerd: the
 * remaining stream stalled and was cancelled as hung). Per request, each stream owns its
 * subscription; both objects are cheap to make.
 */
import { createApp } from "../../handlers/app.js";
import { errorJson } from "../../handlers/http/respond.js";
import { ConfigError } from "../config.js";
import { UpstashStore } from "../stores/upstash.js";
import { edgeRenderAssets } from "./assets.js";
import { loadEdgeConfig, type EdgeConfig } from "./config.js";

/** The worker's bindings: strings from `vars` and secrets; other binding kinds are ignored. */
export type EdgeEnv = Record<string, unknown>;

/** The part of the runtime's execution context this entry uses (none yet). */
export interface EdgeContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Fonts and wasm for html sessions and PNGs, shared by every request of the isolate. */
const assets = edgeRenderAssets();

/** Read on the first request: bindings do not change within an isolate. */
let config: EdgeConfig | ConfigError | undefined;

function readConfig(env: EdgeEnv): EdgeConfig | ConfigError {
  try {
    return loadEdgeConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`realtime-svg edge: ${error.message}`);
    return error;
  }
}

export default {
  async fetch(request: Request, env: EdgeEnv, _ctx: EdgeContext): Promise<Response> {
    config ??= readConfig(env);
    if (config instanceof ConfigError) {
      return errorJson(500, "misconfigured", `the edge worker is misconfigured: ${config.message}`);
    }
    const store = new UpstashStore({
      url: config.upstashUrl,
      token: config.upstashToken,
      prefix: config.keyPrefix,
      heartbeatMs: config.heartbeatMs,
      onError: (error, source) => console.error(`upstash ${source}: ${error.message}`),
    });
    const app = createApp(store, {
      apiKey: config.apiKey,
      publicUrl: config.publicUrl,
      limits: config.limits,
      assets,
      onError: (error) => console.error(error),
    });
    return app.fetch(request);
  },
};
