import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Hub, Metrics, MetricsEndpoint } from "../../handlers/index.js";

export interface PrometheusMetrics {
  /** The hooks handed to the app. */
  hooks: Metrics;
  registry: Registry;
  /** GET /metrics, answered by the app's router. */
  endpoint(token: string | undefined): MetricsEndpoint;
  /** Gauges read the hub at scrape time; call once the app exists. */
  watch(hub: Hub): void;
}

/** The app's metrics in Prometheus text format, plus the process's own (CPU, RSS, event loop). */
export function createPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let hub: Hub | undefined;

  new Gauge({
    name: "rsvg_open_streams",
    help: "Open stream responses in this process",
    registers: [registry],
    collect() {
      this.set(hub?.viewerCount ?? 0);
    },
  });
  new Gauge({
    name: "rsvg_subscribed_channels",
    help: "Session channels this process is subscribed to (sessions with local viewers)",
    registers: [registry],
    collect() {
      this.set(hub?.channelCount ?? 0);
    },
  });
  const published = new Counter({ name: "rsvg_frames_published_total", help: "Frames stored and announced (by creates and writes)", registers: [registry] });
  // Per-viewer events are counted in plain numbers (a fan-out to 10,000 viewers would otherwise
  // make 10,000 prom-client calls) and handed to the counters when scraped.
  const perViewer = { delivered: 0, dropped: 0 };
  const reported = { delivered: 0, dropped: 0 };
  const lazyCounter = (name: string, help: string, key: keyof typeof perViewer) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.inc(perViewer[key] - reported[key]);
        reported[key] = perViewer[key];
      },
    });
  lazyCounter("rsvg_frames_delivered_total", "Frames (including keep-alive resends) queued to viewers", "delivered");
  lazyCounter("rsvg_frames_dropped_total", "Unsent frames replaced by a newer one for a slow viewer", "dropped");
  const conflicts = new Counter({ name: "rsvg_write_conflicts_total", help: "Writes retried because a writer elsewhere changed the session first", registers: [registry] });
  const storeErrors = new Counter({ name: "rsvg_store_errors_total", help: "Store operations that failed (unreachable, timed out)", registers: [registry] });
  const storeFull = new Counter({
    name: "rsvg_store_full_total",
    help: "Creates and writes refused because the session store is full (MEMORY_MAX_BYTES, MEMORY_MAX_SESSIONS, Redis maxmemory)",
    registers: [registry],
  });
  const render = new Histogram({
    name: "rsvg_render_duration_seconds",
    help: "Time to render one frame",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Counted the same way: prom-client's inc with labels builds and hashes a label key per call,
  // a few µs on every write. Routes are the table's patterns and Node's parser knows a fixed set
  // of methods, so the keys are few.
  const perRequest = new Map<string, { route: string; method: string; status: string; count: number; reported: number }>();
  new Counter({
    name: "rsvg_http_requests_total",
    help: "HTTP requests by route pattern, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
    collect() {
      for (const entry of perRequest.values()) {
        if (entry.count === entry.reported) continue;
        this.inc({ route: entry.route, method: entry.method, status: entry.status }, entry.count - entry.reported);
        entry.reported = entry.count;
      }
    },
  });

  return {
    registry,
    endpoint: (token) => ({
      token,
      scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    }),
    watch(watched) {
      hub = watched;
    },
    hooks: {
      framePublished: () => published.inc(),
      frameDelivered: () => {
        perViewer.delivered++;
      },
      frameDropped: () => {
        perViewer.dropped++;
      },
      writeConflict: () => conflicts.inc(),
      renderObserved: (seconds) => render.observe(seconds),
      storeError: () => storeErrors.inc(),
      storeFull: () => storeFull.inc(),
      requestObserved: (route, method, status) => {
        const key = `${status} ${method} ${route}`;
        const entry = perRequest.get(key);
        if (entry) entry.count++;
        else perRequest.set(key, { route, method, status: String(status), count: 1, reported: 0 });
      },
    },
  };
}
