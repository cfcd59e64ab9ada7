import type { Sha256Hex } from "./ports/digest.js";
import type { Renderers } from "./ports/renderers.js";
import type { RenderAssets } from "./rendering/assets.js";
import type { Metrics } from "./metrics.js";
import type { Lifetime } from "./sessions/lifetime.js";
import type { UiHost } from "./pages/assets.js";

/** Everything a host passes to the app. Every limit is explicit; hosts read them from config. */
export interface Limits {
  /** Largest accepted request body, bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest template, bytes of UTF-8. */
  maxTemplateBytes: number;
  /** Largest `args` object, bytes of its JSON. */
  maxArgsBytes: number;
  /** Deepest nesting of objects and arrays in `args` (args itself is level 1); checked before anything recurses over them. */
  maxArgsDepth: number;
  /** Most object keys plus array elements in `args`, counted at every level. */
  maxArgsKeys: number;
  /** Largest rendered frame, bytes of UTF-8. */
  maxFrameBytes: number;
  /** svg kind: deepest nesting of elements in the rendered frame (its well-formedness check stops there). */
  maxSvgDepth: number;
  /** Wall-clock budget of one render, ms (LiquidJS renderLimit). */
  renderTimeoutMs: number;
  /** Memory budget of one render (LiquidJS memoryLimit: characters of strings built plus elements of ranges, summed over the render); also bounds the time spent allocating ranges, which the time budget cannot interrupt. */
  renderMemoryBytes: number;
  /** Session lifetime when a request names none, seconds, or "never" (only when maxExpireSeconds is). */
  defaultExpireSeconds: Lifetime;
  /** Longest session lifetime a request may ask for, seconds; "never" allows `"expire": "never"`. */
  maxExpireSeconds: Lifetime;
  /**
   * How long streams of a session lost with the store's data (gone before its expiry, without a
   * delete) stay open for it to be created again, seconds; never past the expiry they knew.
   */
  lostSessionGraceSeconds: number;
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
  /** html kind: most characters (code points) of text in the rendered markup, all text nodes together. */
  maxHtmlText: number;
  /** Largest `scale` of GET /png/ID. */
  maxPngScale: number;
  /** Largest PNG, pixels after scaling. */
  maxPngPixels: number;
  /** Most pixels a PNG's filters may process: output pixels × primitives applied (rendering/filters.ts). */
  maxPngFilterPixels: number;
  /** Largest neighbourhood of one filter primitive, output pixels (feMorphology radius × scale, half a feConvolveMatrix order). */
  maxPngFilterRadius: number;
  /** Bytes of rendered PNGs kept in memory per process. */
  pngCacheBytes: number;
  /** Heap for parsed templates kept per process (rendering/liquid.ts parsedTemplateBytes each); 0: parse on every render. */
  templateCacheBytes: number;
  /** Memory for the records this process's writes last committed, which the next write to each starts from (sessions/write-queue.ts); 0: every write reads the store. */
  writeCacheBytes: number;
  /** Time from a request's arrival until its whole body must have arrived, ms (408 beyond). */
  bodyTimeoutMs: number;
  /** Most open streams per hub, i.e. per process on the Node host (503 too_many_streams beyond). */
  maxStreams: number;
  /** Most open streams per client address (see AppOptions.trustedProxy); 0: no per-client cap. */
  maxStreamsPerClient: number;
  /** Most sessions one event stream (GET /events?ids=…) may carry; each counts as a stream against both caps above. */
  maxEventIds: number;
  /** Most POST /api/preview renders at once per process (per isolate on the edge host); 503 previews_busy beyond. */
  maxPreviews: number;
  /** Most POST /api/preview renders at once per client address (as maxStreamsPerClient keys them); 0: no per-client cap; 429 too_many_previews beyond. */
  maxPreviewsPerClient: number;
  /** Most webhooks one session may have (409 too_many_hooks beyond). */
  maxHooksPerSession: number;
}

/**
 * MAX_STREAMS' default, from the memory an idle stream costs and the 512 MiB pod of deploy/.
 * Measured on Node 20 (the Node host run by tsx, one 150-byte svg session, N raw sockets each
 * holding GET /stream/ID open, RSS from /proc/PID/status, median of 5 readings after 2 s, heap
 * from /metrics' nodejs_heap_size_used_bytes): 1,000 streams +31 MiB RSS (32 KiB each, most of it
 * the heap's first growth); 10,000 streams +84 MiB RSS (8.6 KiB each; heap +58 MiB, 5.9 KiB each),
 * 235 MiB in all. So 10,000 streams leave more than half the pod, and room in the heap, for renders,
 * the PNG cache, the memory store's records and bursts; past that a flood would only add streams
 * until the pod is killed with every stream on it.
 */
const DEFAULT_MAX_STREAMS = 10_000;

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 256 * 1024,
  maxTemplateBytes: 64 * 1024,
  maxArgsBytes: 64 * 1024,
  maxArgsDepth: 32,
  maxArgsKeys: 1_000,
  maxFrameBytes: 1024 * 1024,
  maxSvgDepth: 256,
  renderTimeoutMs: 250,
  renderMemoryBytes: 2 * 1024 * 1024,
  defaultExpireSeconds: 24 * 60 * 60,
  maxExpireSeconds: 30 * 24 * 60 * 60,
  // As long as the default lifetime: a badge whose writer makes it again on its next (daily) run
  // reconnects every image still open. Meanwhile each open stream costs only its memory (~9 KiB).
  lostSessionGraceSeconds: 24 * 60 * 60,
  keepAliveMs: 25_000,
  minKeepAliveMs: 1_000,
  maxKeepAliveMs: 300_000,
  maxDelayedStartMs: 10_000,
  readyTimeoutMs: 1_000,
  maxHtmlBytes: 64 * 1024,
  maxHtmlNodes: 1_000,
  maxHtmlDepth: 32,
  // One text node of n Hangul syllables costs satori O(n²) memory in its line breaking: measured
  // (node 20, this repository's 2-core dev machine, 1024×1024) 2,000 → 175 ms and +36 MB of heap,
  // 8,000 → 507 ms and +180 MB, 20,000 → 3.6 s and +1.6 GB; 2,000 Latin "W" → 63 ms, 16,000 →
  // 626 ms. 2,000 characters keeps the worst single run inside the 250 ms budget and ~40 MB.
  maxHtmlText: 2_000,
  maxPngScale: 4,
  maxPngPixels: 4096 * 4096,
  // resvg keeps one pixmap per primitive result: 4096×4096 measured 137 MB of wasm memory with no
  // filter, 337 MB with 4 feOffset, 740 MB with 16 (and 2.6 s, 5.9 s). Two full-size passes keep
  // the worst PNG near 240 MB; a 400×120 card with 12 shadow primitives passes at scale 4 (9.2 M).
  maxPngFilterPixels: 2 * 4096 * 4096,
  // feMorphology costs ~(2r+1)² per pixel: radius 8 → 0.5–1.0 s per megapixel, 10 → 1.5–2.3 s,
  // and a radius 2 at scale 4 is radius 8 (16.9 s over 4096×4096); feConvolveMatrix order 9 →
  // 0.34 s/Mpx, order 25 → 3.2 s/Mpx. stdDeviation is not bounded: resvg's box blur costs the
  // same at 200 as at 3 (0.19 s/Mpx; 0.5–0.7 s below 2, where it convolves exactly).
  maxPngFilterRadius: 8,
  pngCacheBytes: 32 * 1024 * 1024,
  templateCacheBytes: 8 * 1024 * 1024,
  writeCacheBytes: 16 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
  maxStreams: DEFAULT_MAX_STREAMS,
  maxStreamsPerClient: 0,
  maxEventIds: 16,
  // A studio re-renders as its user types, debounced, and drops the answer it no longer needs:
  // two in flight per client covers one render finishing while the next is sent. Sixteen per
  // process keeps previews, each at most one render (RENDER_TIMEOUT_MS, and for html one render
  // process's deadline), from filling RENDER_QUEUE ahead of the writes that store frames.
  maxPreviews: 16,
  maxPreviewsPerClient: 2,
  maxHooksPerSession: 10,
};

export interface AppOptions {
  /** Counters and histograms the host exports (see metrics.ts). */
  metrics?: Metrics;
  limits?: Partial<Limits>;
  /** When set, creating a session needs it, and it may write to any session. */
  apiKey?: string;
  /**
   * SECRETS_KEY: base64 of 32 bytes. When set, webhook secrets are stored sealed with AES-256-GCM
   * under it (hooks/secrets.ts); hosts check it at startup.
   */
  secretsKey?: string;
  /** Base URL used in the links the API returns (e.g. https://img.example.com); default: the request's origin. */
  publicUrl?: string;
  /** Fonts, emoji and resvg's wasm for html sessions and PNG frames; without them both answer 501. */
  assets?: RenderAssets;
  /**
   * Where html and PNG renders run (ports/renderers.ts). Default: in this isolate, from `assets`.
   * The Node host passes its pool of render processes (runtime/node/render-pool.ts).
   */
  renderers?: Renderers;
  /** GET /metrics: what the host exposes (the Node host: Prometheus text); absent → 404. */
  metricsEndpoint?: MetricsEndpoint;
  /** The web UI's built scripts and styles (pages/assets.ts); absent, pages answer without script. */
  ui?: UiHost;
  /** Wall clock, replaceable in tests. */
  now?: () => number;
  /**
   * Runs a task once the event loop has served what is waiting: how local delivery yields between
   * slices of a fan-out (streaming/channel.ts). Default a zero-delay timer; the Node host passes
   * the end of the turn, after the answers made in it are sent (runtime/node/turn-end.ts, no 1 ms
   * timer clamp).
   */
  defer?: (task: () => void) => void;
  /** A synchronous SHA-256 for tokens (ports/digest.ts; the Node host: node:crypto); absent, Web Crypto. */
  sha256?: Sha256Hex;
  /**
   * Origins whose pages may write through the API (CORS), or "*" for any; default none. Reads
   * (images, sessions, pages) are open to every origin regardless.
   */
  corsOrigins?: "*" | readonly string[];
  /**
   * The header a trusted proxy in front sets to the client's address (e.g. x-forwarded-for), and
   * which entry of it to take counting from the right (1: the right-most, the one the nearest
   * proxy appended). Unset: the connection's own peer address is the client (HostHooks).
   */
  trustedProxy?: { header: string; hops: number };
}

export interface MetricsEndpoint {
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
  scrape(): Promise<{ contentType: string; body: string }>;
}
