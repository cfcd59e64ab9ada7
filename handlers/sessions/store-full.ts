import type { AppContext } from "../context.js";
import { AppError } from "../http/errors.js";

/**
 * Runs a store write (create or commit) that a full store refuses with 507 store_full: the
 * memory store past MEMORY_MAX_BYTES or MEMORY_MAX_SESSIONS, or Redis at maxmemory. Other
 * AppErrors are the client's to fix and go unlogged; this one an operator must see, so it is
 * counted (the storeFull metric) and reported to the host's log. It is no outage: reads, streams
 * and /ready go on working, and nothing already stored changed.
 */
export async function refusedWhenFull<T>(ctx: Pick<AppContext, "metrics" | "report">, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof AppError && error.code === "store_full") {
      ctx.metrics.storeFull();
      ctx.report(error);
    }
    throw error;
  }
}
