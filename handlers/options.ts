import type { RenderAssets } from "./rendering/assets.js";
import type { Metrics } from "./metrics.js";

/** Everything a host passes to the app. Every limit is explicit; hosts read them from config. */
export interface Limits {
  /** Largest accepted request body, bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest template, bytes of UTF-8. */
  maxTemplateBytes: number;
  /** Largest `args` object, bytes of its JSON. */
  maxArgsBytes: number;
  /** Largest rendered frame, bytes of UTF-8. */
  maxFrameBytes: number;
  /** Wall-clock budget of one render, ms (LiquidJS renderLimit). */
  renderTimeoutMs: number;
  /** Memory budget of one render (LiquidJS memoryLimit: characters of strings built plus elements of ranges, summed over the render); also bounds the time spent allocating ranges, which the time budget cannot interrupt. */
  renderMemoryBytes: number;
  /** Session lifetime when a request names none, seconds. */
  defaultExpireSeconds: number;
  /** Longest session lifetime a request may ask for, seconds. */
  maxExpireSeconds: number;
  /** Default interval between keep-alive resends of the current frame, ms. */
  keepAliveMs: number;
  /** Bounds of the `keep_alive` query option, ms. */
  minKeepAliveMs: number;
  maxKeepAliveMs: number;
  /** Upper bound of the `delayed_start` query option, ms. */
  maxDelayedStartMs: number;
  /** How long /ready waits for the store's ping, ms. */
  readyTimeoutMs: number;
  /** html kind: largest rendered markup, bytes of UTF-8 (bounded before satori runs). */
  maxHtmlBytes: number;
  /** html kind: most elements in the rendered markup. */
  maxHtmlNodes: number;
  /** html kind: deepest nesting of elements in the rendered markup. */
  maxHtmlDepth: number;
  /** Largest `scale` of GET /png/ID. */
  maxPngScale: number;
  /** Largest PNG, pixels after scaling. */
  maxPngPixels: number;
  /** Bytes of rendered PNGs kept in memory per process. */
  pngCacheBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 256 * 1024,
  maxTemplateBytes: 64 * 1024,
  maxArgsBytes: 64 * 1024,
  maxFrameBytes: 1024 * 1024,
  renderTimeoutMs: 250,
  renderMemoryBytes: 2 * 1024 * 1024,
  defaultExpireSeconds: 24 * 60 * 60,
  maxExpireSeconds: 30 * 24 * 60 * 60,
  keepAliveMs: 25_000,
  minKeepAliveMs: 1_000,
  maxKeepAliveMs: 300_000,
  maxDelayedStartMs: 10_000,
  readyTimeoutMs: 1_000,
  maxHtmlBytes: 64 * 1024,
  maxHtmlNodes: 1_000,
  maxHtmlDepth: 32,
  maxPngScale: 4,
  maxPngPixels: 4096 * 4096,
  pngCacheBytes: 32 * 1024 * 1024,
};

export interface AppOptions {
  /** Counters and histograms the host exports (see metrics.ts). */
  metrics?: Metrics;
  limits?: Partial<Limits>;
  /** When set, creating a session needs it, and it may write to any session. */
  apiKey?: string;
  /** Base URL used in the links the API returns (e.g. https://img.example.com); default: the request's origin. */
  publicUrl?: string;
  /** Fonts, emoji and resvg's wasm for html sessions and PNG frames; without them both answer 501. */
  assets?: RenderAssets;
  /** GET /metrics: what the host exposes (the Node host: Prometheus text); absent → 404. */
  metricsEndpoint?: MetricsEndpoint;
  /** Wall clock, replaceable in tests. */
  now?: () => number;
}

export interface MetricsEndpoint {
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
  scrape(): Promise<{ contentType: string; body: string }>;
}
