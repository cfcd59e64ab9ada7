import type { AppContext } from "../context.js";
import { authorize } from "./auth.js";
import { notFound } from "./errors.js";

/** GET /metrics: what the host exposes, behind METRICS_TOKEN when one is set. */
export async function metricsRoute(request: Request, ctx: AppContext): Promise<Response> {
  const endpoint = ctx.metricsEndpoint;
  if (!endpoint) throw notFound("route");
  const tokenHash = await ctx.metricsTokenHash;
  if (tokenHash) await authorize(request, [tokenHash], { what: "the metrics", sha256: ctx.sha256 });
  const { contentType, body } = await endpoint.scrape();
  return new Response(body, { status: 200, headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}
