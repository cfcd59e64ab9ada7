import type { IRequest } from "itty-router";
import type { AppContext } from "../context.js";
import { hashToken, newWriteToken } from "../http/auth.js";
import { json } from "../http/respond.js";
import { authorizedSession } from "./authorized.js";
import { parseSessionId } from "./ids.js";
import { commitWrite } from "./write.js";

/**
 * POST /api/session/:id/token: a new write token replaces the session's, and the old one stops
 * working at once. The new hash is stored through the same write line and compare-and-set as
 * PUT and PATCH, as a new version of the record: a write holding the old token that has not
 * committed yet then conflicts, re-reads the record with the new hash and is refused, on this
 * replica or any other. Frame, arguments and lifetime stay as they are (a rotation renews
 * nothing); the store announces the unchanged frame under its new version, as it does every
 * commit, and viewers are sent the same picture again.
 */
export async function rotateToken(request: IRequest, ctx: AppContext): Promise<Response> {
  const id = parseSessionId(request.params.id);
  const token = newWriteToken();
  const tokenHash = await hashToken(token, ctx.sha256);
  await ctx.writes.run(
    id,
    () => authorizedSession(request, ctx),
    (authorized, line) =>
      commitWrite(request, ctx, authorized, line, async (record) => ({
        record: { ...record, tokenHash, version: record.version + 1, updatedAt: ctx.now() },
      })),
  );
  return json(200, { write_token: token });
}
