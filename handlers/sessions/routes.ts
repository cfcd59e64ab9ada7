import type { IRequest } from "itty-router";
import { baseUrl, loadSession, type AppContext } from "../context.js";
import { authorize, hashToken, newWriteToken } from "../http/auth.js";
import { authorizedSession } from "./authorized.js";
import { readJsonBody } from "../http/body.js";
import { AppError, notFound } from "../http/errors.js";
import { json, jsonText } from "../http/respond.js";
import { jsonWith, stringJson } from "../json-text.js";
import { parseExpire } from "./expire.js";
import { firstFrame } from "./first-frame.js";
import { parseSessionId } from "./ids.js";
import { expiresNever, expiryOf, ttlOf } from "./lifetime.js";
import { newIncarnation, type SessionRecord } from "./record.js";
import { CreateSessionBody, parseBody } from "./request-schema.js";
import { writeSession } from "./write.js";
import { removeHooksOfSession } from "../hooks/hooks.js";
import { isoTime } from "../iso-time.js";

/** null for a session without expiry. */
const expiresAtView = (record: SessionRecord) => (expiresNever(record.expiresAt) ? null : isoTime(record.expiresAt));

/** A session as the API shows it, but its template. */
function viewFields(record: SessionRecord) {
  return {
    session_id: record.id,
    kind: record.kind ?? "svg",
    ...(record.width === undefined ? {} : { width: record.width, height: record.height }),
    args: record.args,
    version: record.version,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    expires_at: expiresAtView(record),
    // The lifetime it was given (seconds or "never"); unknown for sessions written by older versions.
    ...(record.lifetime === undefined ? {} : { expire: record.lifetime }),
    renew: record.renew ?? false,
  };
}

export function sessionView(record: SessionRecord) {
  return { ...viewFields(record), template: record.template };
}

/** sessionView's JSON, its template encoded once for all of a session's writes (json-text.ts). */
const sessionAnswer = (record: SessionRecord): Response => jsonText(200, jsonWith(viewFields(record), `"template":${stringJson(record.template)}`));

function links(ctx: AppContext, request: Request, id: string) {
  const base = baseUrl(ctx, request);
  return {
    stream_url: `${base}/stream/${id}`,
    snapshot_url: `${base}/svg/${id}`,
    png_url: `${base}/png/${id}`,
    viewer_url: `${base}/session/${id}`,
  };
}

/** POST /api/session */
export async function createSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const apiKeyHash = await ctx.apiKeyHash;
  if (apiKeyHash) await authorize(request, [apiKeyHash], { sha256: ctx.sha256 });
  const body = parseBody(CreateSessionBody, await readJsonBody(request, ctx.limits.maxBodyBytes));
  const id = parseSessionId(body.session_id);
  const lifetime = parseExpire(body.expire, ctx.limits.defaultExpireSeconds, ctx.limits.maxExpireSeconds);
  const { shape, args, frame } = await firstFrame(ctx, body);

  const token = newWriteToken();
  const now = ctx.now();
  const record: SessionRecord = {
    id,
    template: body.template,
    args,
    frame,
    ...shape,
    incarnation: newIncarnation(now),
    version: 1,
    tokenHash: await hashToken(token, ctx.sha256),
    createdAt: now,
    updatedAt: now,
    expiresAt: expiryOf(lifetime, now),
    lifetime,
    renew: body.renew ?? false,
  };
  if (!(await ctx.hub.create(record, ttlOf(lifetime)))) {
    throw new AppError("session_exists", `session ${id} already exists`);
  }
  ctx.writes.stored(record);
  return json(
    201,
    { session_id: id, write_token: token, ...links(ctx, request, id), expires_at: expiresAtView(record), renew: record.renew },
    { Location: `/api/session/${id}` },
  );
}

/** GET /api/session/:id */
export async function getSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const record = await loadSession(ctx, parseSessionId(request.params.id));
  return sessionAnswer(record);
}

/** PUT /api/session/:id: replaces args (and optionally template, expire, kind and size). */
export async function replaceSession(request: IRequest, ctx: AppContext): Promise<Response> {
  return sessionAnswer(await writeSession(request, ctx, true));
}

/** PATCH /api/session/:id: merges args; a null value removes a key. */
export async function patchSession(request: IRequest, ctx: AppContext): Promise<Response> {
  return sessionAnswer(await writeSession(request, ctx, false));
}

/** DELETE /api/session/:id: removes the session and ends its streams everywhere. */
export async function deleteSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const record = await authorizedSession(request, ctx);
  ctx.writes.forget(record.id);
  // false: it was deleted, or replaced by a new incarnation the token does not name, meanwhile.
  if (!(await ctx.hub.remove(record))) throw notFound(`session ${record.id}`);
  // Its webhooks go with it (they are bound to this incarnation and would answer 404 anyway).
  await removeHooksOfSession(ctx, record.id);
  return new Response(null, { status: 204 });
}
