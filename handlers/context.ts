import { hashToken } from "./http/auth.js";
import type { Hub } from "./streaming/hub.js";
import { NO_METRICS, type Metrics } from "./metrics.js";
import { DEFAULT_LIMITS, type AppOptions, type Limits } from "./options.js";
import { HtmlRenderer } from "./rendering/html.js";
import { PngRenderer } from "./rendering/png.js";
import { Renderer } from "./rendering/liquid.js";
import { notFound } from "./http/errors.js";
import type { SessionRecord, Store } from "./ports/session-store.js";
import { KeyedQueue } from "./sessions/write-queue.js";

/** What every handler receives besides the request. Built once per app. */
export interface AppContext {
  store: Store;
  hub: Hub;
  renderer: Renderer;
  html: HtmlRenderer;
  png: PngRenderer;
  writes: KeyedQueue;
  metrics: Metrics;
  limits: Limits;
  /** SHA-256 of the server API key, when one is configured. */
  apiKeyHash: Promise<string | undefined>;
  publicUrl?: string;
  now: () => number;
  shuttingDown: boolean;
  report: (error: unknown) => void;
}

export function createContext(
  store: Store,
  hub: Hub,
  options: AppOptions,
  report: (error: unknown) => void,
): AppContext {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = options.metrics ?? NO_METRICS;
  return {
    store,
    hub,
    renderer: new Renderer(limits, metrics),
    html: new HtmlRenderer(options.assets, limits),
    png: new PngRenderer(options.assets, limits),
    metrics,
    writes: new KeyedQueue(),
    limits,
    apiKeyHash: options.apiKey ? hashToken(options.apiKey) : Promise.resolve(undefined),
    publicUrl: options.publicUrl?.replace(/\/+$/, ""),
    now: options.now ?? Date.now,
    shuttingDown: false,
    report,
  };
}

/** The session's record, or 404. */
export async function loadSession(ctx: AppContext, id: string): Promise<SessionRecord> {
  const record = await ctx.store.get(id);
  if (!record) throw notFound(`session ${id}`);
  return record;
}

/** Absolute base URL for links in responses: the configured public URL, else the request's origin. */
export function baseUrl(ctx: AppContext, request: Request): string {
  return ctx.publicUrl ?? new URL(request.url).origin;
}
