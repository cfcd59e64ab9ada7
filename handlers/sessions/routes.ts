import type { IRequest } from "itty-router";
import { authorize, bearerToken, hashToken, newWriteToken } from "../http/auth.js";
import { readJsonBody } from "../http/body.js";
import { encodeMessage } from "../streaming/message.js";
import { baseUrl, loadSession, type AppContext } from "../context.js";
import { parseExpire } from "./expire.js";
import { AppError, notFound } from "../http/errors.js";
import { nextShape, renderFrame, shapeOf, type FrameShape } from "../rendering/pipeline.js";
import { parseSessionId } from "./ids.js";
import { json } from "../http/respond.js";
import {
  CreateSessionBody,
  parseBody,
  PatchSessionBody,
  ReplaceSessionBody,
  type PatchSessionInput,
} from "./request-schema.js";
import type { SessionRecord } from "../ports/session-store.js";

/** Compare-and-set attempts before a write gives up with 409 (writers on other replicas). */
const MAX_WRITE_ATTEMPTS = 10;

const iso = (ms: number) => new Date(ms).toISOString();

function sessionView(record: SessionRecord) {
  return {
    session_id: record.id,
    kind: record.kind ?? "svg",
    ...(record.width === undefined ? {} : { width: record.width, height: record.height }),
    template: record.template,
    args: record.args,
    version: record.version,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    expires_at: iso(record.expiresAt),
  };
}

function links(ctx: AppContext, request: Request, id: string) {
  const base = baseUrl(ctx, request);
  return {
    stream_url: `${base}/stream/${id}`,
    snapshot_url: `${base}/svg/${id}`,
    png_url: `${base}/png/${id}`,
    viewer_url: `${base}/session/${id}`,
  };
}

/** The session a write names, once the request's token is one that may write it. */
async function authorizedSession(request: IRequest, ctx: AppContext): Promise<SessionRecord> {
  const id = parseSessionId(request.params.id);
  // 401 before anything is read: no credentials, no further work.
  if (bearerToken(request) === null) await authorize(request, []);
  const record = await loadSession(ctx, id);
  await authorize(request, [record.tokenHash, await ctx.apiKeyHash]);
  return record;
}

/** POST /api/session */
export async function createSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const apiKeyHash = await ctx.apiKeyHash;
  if (apiKeyHash) await authorize(request, [apiKeyHash]);
  const body = parseBody(CreateSessionBody, await readJsonBody(request, ctx.limits.maxBodyBytes));
  const id = parseSessionId(body.session_id);
  const ttl = parseExpire(body.expire, ctx.limits.defaultExpireSeconds, ctx.limits.maxExpireSeconds);
  const args = body.args ?? {};
  const shape = nextShape(undefined, body);
  ctx.renderer.checkArgs(args);
  const frame = await renderFrame(ctx, shape, ctx.renderer.parse(body.template), args);

  const token = newWriteToken();
  const now = ctx.now();
  const record: SessionRecord = {
    id,
    template: body.template,
    args,
    frame,
    ...shape,
    version: 1,
    tokenHash: await hashToken(token),
    createdAt: now,
    updatedAt: now,
    expiresAt: now + ttl * 1000,
  };
  if (!(await ctx.store.create(record, ttl))) {
    throw new AppError(409, "session_exists", `session ${id} already exists`);
  }
  const urls = links(ctx, request, id);
  return json(
    201,
    { session_id: id, write_token: token, ...urls, expires_at: iso(record.expiresAt) },
    { Location: `/api/session/${id}` },
  );
}

/** GET /api/session/:id */
export async function getSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const record = await loadSession(ctx, parseSessionId(request.params.id));
  return json(200, sessionView(record));
}

type Change = PatchSessionInput & { replace: boolean };

/** Applies a change: renders once, stores with compare-and-set, publishes the new frame. */
async function writeSession(request: IRequest, ctx: AppContext, replace: boolean): Promise<Response> {
  const record = await authorizedSession(request, ctx);
  const schema = replace ? ReplaceSessionBody : PatchSessionBody;
  const change: Change = { ...parseBody(schema, await readJsonBody(request, ctx.limits.maxBodyBytes)), replace };
  const ttl =
    change.expire === undefined
      ? undefined
      : parseExpire(change.expire, ctx.limits.defaultExpireSeconds, ctx.limits.maxExpireSeconds);
  const parsed = change.template === undefined ? null : ctx.renderer.parse(change.template);
  // Checked against the record read here; re-derived below against the record each attempt writes.
  nextShape(shapeOf(record), change);
  return ctx.writes.run(record.id, () => applyChange(ctx, record, change, parsed, ttl));
}

async function applyChange(
  ctx: AppContext,
  record: SessionRecord,
  change: Change,
  parsed: ReturnType<AppContext["renderer"]["parse"]> | null,
  ttl: number | undefined,
): Promise<Response> {
  const id = record.id;
  // Another writer may win between read and write; re-apply the change to its result.
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      record = await loadSession(ctx, id);
    }
    const args = nextArgs(record.args, change);
    ctx.renderer.checkArgs(args);
    const template = change.template ?? record.template;
    const shape: FrameShape = nextShape(shapeOf(record), change);
    const frame = await renderFrame(ctx, shape, parsed ?? ctx.renderer.parse(template), args);
    const now = ctx.now();
    const next: SessionRecord = {
      ...record,
      template,
      args,
      frame,
      kind: shape.kind,
      width: shape.width,
      height: shape.height,
      version: record.version + 1,
      updatedAt: now,
      expiresAt: ttl === undefined ? record.expiresAt : now + ttl * 1000,
    };
    const result = await ctx.store.update(next, { expectVersion: record.version, ttlSeconds: ttl });
    if (result === "updated") {
      ctx.hub.offerLocal(id, next.version, frame, next.expiresAt);
      await ctx.store.publish(id, encodeMessage({ type: "frame", version: next.version, frame, expiresAt: next.expiresAt }));
      ctx.metrics.framePublished();
      return json(200, sessionView(next));
    }
    if (result === "missing") throw notFound(`session ${id}`);
  }
  throw new AppError(409, "write_conflict", "the session changed concurrently too often; retry");
}

function nextArgs(current: Record<string, unknown>, change: Change): Record<string, unknown> {
  if (change.replace) return change.args ?? {};
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(change.args ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** PUT /api/session/:id: replaces args (and optionally template, expire). */
export const replaceSession = (request: IRequest, ctx: AppContext) => writeSession(request, ctx, true);

/** PATCH /api/session/:id: merges args; a null value removes a key. */
export const patchSession = (request: IRequest, ctx: AppContext) => writeSession(request, ctx, false);

/** DELETE /api/session/:id: removes the session and ends its streams everywhere. */
export async function deleteSession(request: IRequest, ctx: AppContext): Promise<Response> {
  const { id } = await authorizedSession(request, ctx);
  if (await ctx.store.delete(id)) {
    await ctx.store.publish(id, encodeMessage({ type: "end", reason: "deleted" }));
  }
  return new Response(null, { status: 204 });
}
