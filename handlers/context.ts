import { importSecretsKey } from "./hooks/secrets.js";
import { hashToken } from "./http/auth.js";
import { SessionNotFound } from "./http/errors.js";
import { Placeholders } from "./http/placeholder.js";
import { NO_METRICS, type Metrics } from "./metrics.js";
import { DEFAULT_LIMITS, type AppOptions, type Limits, type MetricsEndpoint } from "./options.js";
import type { Sha256Hex } from "./ports/digest.js";
import type { SessionStore } from "./ports/session-store.js";
import type { UiHost } from "./pages/assets.js";
import type { Renderers } from "./ports/renderers.js";
import { isolateRenderers } from "./rendering/isolate.js";
import { Renderer } from "./rendering/liquid.js";
import { PngFrames } from "./rendering/png.js";
import { PreviewAdmission } from "./sessions/preview-admission.js";
import type { SessionRecord } from "./sessions/record.js";
import { WriteQueue } from "./sessions/write-queue.js";
import type { Hub } from "./streaming/hub.js";
import { requestUrl } from "./http/request-url.js";

/**
 * What lives as long as the process (or the edge isolate): the engines with their caches, the
 * write queue and the settings. Built once; apps built per request on the edge share it.
 */
export interface Services {
  limits: Limits;
  metrics: Metrics;
  templates: Renderer;
  /** satori and resvg: in this isolate, or wherever the host runs them (AppOptions.renderers). */
  renderers: Renderers;
  /** PNGs of frames, cached and single-flight here, in front of `renderers.png`. */
  png: PngFrames;
  /** The images a missing session's image URLs answer with, made once. */
  placeholders: Placeholders;
  writes: WriteQueue;
  /** Previews rendering now, per client and in all (MAX_PREVIEWS_PER_CLIENT, MAX_PREVIEWS): per isolate on the edge host. */
  previews: PreviewAdmission;
  /** SHA-256 of the server API key, when one is configured. */
  apiKeyHash: Promise<string | undefined>;
  /** The AES-GCM key webhook secrets are sealed with (SECRETS_KEY), when one is configured. */
  secretsKey: Promise<CryptoKey | undefined>;
  metricsEndpoint?: MetricsEndpoint;
  /** SHA-256 of the metrics token, when one is configured. */
  metricsTokenHash: Promise<string | undefined>;
  publicUrl?: string;
  /** The web UI's assets, as the host supplies them (pages/assets.ts). */
  ui?: UiHost;
  now: () => number;
  /** The host's synchronous SHA-256 (AppOptions.sha256), or undefined: Web Crypto. */
  sha256: Sha256Hex | undefined;
}

export function createServices(options: AppOptions = {}): Services {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = options.metrics ?? NO_METRICS;
  const token = options.metricsEndpoint?.token;
  const renderers = options.renderers ?? isolateRenderers(options.assets, limits);
  return {
    limits,
    metrics,
    templates: new Renderer(limits, metrics),
    renderers,
    png: new PngFrames((svg, scale) => renderers.png(svg, scale), limits),
    placeholders: new Placeholders(renderers),
    writes: new WriteQueue(limits.writeCacheBytes),
    previews: new PreviewAdmission(limits, options.trustedProxy),
    apiKeyHash: options.apiKey ? hashToken(options.apiKey, options.sha256) : Promise.resolve(undefined),
    secretsKey: sealingKey(options.secretsKey),
    metricsEndpoint: options.metricsEndpoint,
    metricsTokenHash: token ? hashToken(token, options.sha256) : Promise.resolve(undefined),
    publicUrl: options.publicUrl?.replace(/\/+$/, ""),
    ui: options.ui,
    now: options.now ?? Date.now,
    sha256: options.sha256,
  };
}

/** Hosts refuse a bad SECRETS_KEY at startup; an app given one anyway fails each use of it, never unhandled. */
function sealingKey(base64: string | undefined): Promise<CryptoKey | undefined> {
  if (!base64) return Promise.resolve(undefined);
  const key = importSecretsKey(base64);
  key.catch(() => {});
  return key;
}

/** What every handler receives besides the request: the services, this app's ports and hub. */
export interface AppContext extends Services {
  store: SessionStore;
  hub: Hub;
  shuttingDown: boolean;
  report: (error: unknown) => void;
}

/** The session's record, or 404 (saying whether the session was deleted). */
export async function loadSession(ctx: AppContext, id: string): Promise<SessionRecord> {
  const found = await ctx.store.lookup(id);
  if (found.state !== "live") throw new SessionNotFound(id, found.state === "deleted");
  return found.record;
}

/** Absolute base URL for links in responses: the configured public URL, else the request's origin. */
export function baseUrl(ctx: AppContext, request: Request): string {
  return ctx.publicUrl ?? requestUrl(request).origin;
}

