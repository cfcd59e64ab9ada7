import type { AppContext } from "../context.js";
import { json } from "./respond.js";

/** GET /health: the process is alive. Never touches the store. */
export const health = () => json(200, { status: "ok" });

/** GET /ready: the store answers quickly and the process is not shutting down. */
export async function ready(_request: Request, ctx: AppContext): Promise<Response> {
  if (ctx.shuttingDown) return json(503, { status: "unavailable", reason: "shutting down" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ctx.store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ctx.limits.readyTimeoutMs} ms`)), ctx.limits.readyTimeoutMs);
      }),
    ]);
  } catch (error) {
    return json(503, { status: "unavailable", reason: `store ${ctx.store.kind} unreachable: ${(error as Error).message}` });
  } finally {
    clearTimeout(timer);
  }
  return json(200, { status: "ready", store: ctx.store.kind });
}
