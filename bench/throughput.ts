/** Update throughput and latency at a fixed concurrency, with autocannon's programmatic API. */
import autocannon from "autocannon";

export interface ThroughputOptions {
  url: string;
  method: "PATCH" | "POST";
  headers: Record<string, string>;
  /** `[<id>]` in it is replaced by a fresh id per request, so no two updates are the same. */
  body: string;
  connections: number;
  durationSeconds: number;
}

export interface ThroughputResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function hammer(options: ThroughputOptions): Promise<ThroughputResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method,
    headers: options.headers,
    body: options.body,
    idReplacement: true,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
  });
  const { latency } = result;
  return {
    connections: options.connections,
    durationSeconds: result.duration,
    requests: result.requests.total,
    perSecond: result.requests.total / result.duration,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
