/**
 * Write throughput: autocannon in the benchmark process (never the server's) sends updates on
 * C connections for a fixed time, no viewers attached, so the figure is the write path's cost.
 */
import autocannon from "autocannon";

export interface FloodRequest {
  url: string;
  method: "PATCH" | "POST";
  headers: Record<string, string>;
  /** `[<id>]` in it is replaced per request, so no two updates are the same. */
  body: string;
}

export interface ThroughputResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that were not 2xx, failed or timed out: the figure means little unless 0. */
  failed: number;
}

export async function throughput(request: FloodRequest, connections: number, seconds: number): Promise<ThroughputResult> {
  const result = await autocannon({ ...request, idReplacement: true, connections, duration: seconds, timeout: 10 });
  return {
    perSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
