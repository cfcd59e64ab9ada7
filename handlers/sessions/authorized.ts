import type { IRequest } from "itty-router";
import { loadSession, type AppContext } from "../context.js";
import { authorize, bearerToken } from "../http/auth.js";
import { parseSessionId } from "./ids.js";
import type { SessionRecord } from "./record.js";

/** The session a write names, once the request's token is one that may write it. */
export async function authorizedSession(request: IRequest, ctx: AppContext): Promise<SessionRecord> {
  const id = parseSessionId(request.params.id);
  // 401 before anything is read: no credentials, no further work.
  if (bearerToken(request) === null) await authorize(request, []);
  const record = await loadSession(ctx, id);
  await authorize(request, [record.tokenHash, await ctx.apiKeyHash], { sha256: ctx.sha256 });
  return record;
}
