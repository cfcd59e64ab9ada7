import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import { authorize, bearerToken } from "../http/auth.js";
import { AppError } from "../http/errors.js";
import { parseSessionId } from "./ids.js";
import type { SessionRecord } from "./record.js";

/** 403 (401 without a token) unless the request's token is the record's write token or the API key. */
export async function authorizeFor(request: Request, ctx: AppContext, record: SessionRecord): Promise<void> {
  await authorize(request, [record.tokenHash, await ctx.apiKeyHash], { sha256: ctx.sha256 });
}

/** The session a write names, once the request's token is one that may write it. */
export async function authorizedSession(request: IRequest, ctx: AppContext): Promise<SessionRecord> {
  const id = parseSessionId(request.params.id);
  // 401 before anything is read: no credentials, no further work.
  if (bearerToken(request) === null) await authorize(request, []);
  const record = await loadSession(ctx, id);
  await authorizeFor(request, ctx, record);
  return record;
}

/**
 * As authorizedSession, for PUT and PATCH: from the record this process's writers last committed
 * when it still knows it (write-queue.ts), else from the store. That record may be older than the
 * store's — its compare-and-set then fails and the write re-reads — so a token it does not grant
 * is checked against the store's record before it is refused: a token rotated elsewhere works here
 * at once.
 */
export async function authorizedWrite(request: IRequest, ctx: AppContext): Promise<SessionRecord> {
  const id = parseSessionId(request.params.id);
  const known = ctx.writes.known(id);
  if (known === undefined) return authorizedSession(request, ctx);
  try {
    await authorizeFor(request, ctx, known);
    return known;
  } catch (error) {
    if (!(error instanceof AppError && error.code === "forbidden")) throw error;
    ctx.writes.forget(id);
    return authorizedSession(request, ctx);
  }
}
