import type { IRequest } from "itty-router";
import type { Template } from "liquidjs";
import { loadSession, type AppContext } from "../context.js";
import { readJsonBody } from "../http/body.js";
import { AppError, notFound } from "../http/errors.js";
import { renderFrameNow } from "../rendering/pipeline.js";
import { mergeArgs } from "./args.js";
import { authorizedWrite, authorizeFor } from "./authorized.js";
import { parseExpire } from "./expire.js";
import { parseSessionId } from "./ids.js";
import { nextLifetime, type Lifetime } from "./lifetime.js";
import type { SessionRecord } from "./record.js";
import { parseBody, PatchSessionBody, ReplaceSessionBody, type PatchSessionInput } from "./request-schema.js";
import { nextShape, shapeOf } from "./shape.js";
import type { WriteLine } from "./write-queue.js";

/** Compare-and-set attempts before a write gives up with 409 (writers on other replicas). */
const MAX_WRITE_ATTEMPTS = 10;

export type Change = PatchSessionInput & { replace: boolean };

interface Prepared {
  authorized: SessionRecord;
  change: Change;
  parsed: Template[] | null;
  /** The lifetime the write names, parsed and checked; undefined when it names none. */
  expire: Lifetime | undefined;
}

/**
 * PUT and PATCH: in the session's write queue (write-queue.ts), authorize and validate the
 * change, then, starting from the freshest record this process knows, render once and commit
 * (store and announce). A writer elsewhere winning the compare-and-set means re-read, re-render,
 * retry.
 */
export function writeSession(request: IRequest, ctx: AppContext, replace: boolean): Promise<SessionRecord> {
  const id = parseSessionId(request.params.id);
  return ctx.writes.run(id, () => prepare(request, ctx, replace), (prepared, line) => apply(request, ctx, prepared, line));
}

/**
 * A webhook's write (hooks/delivery.ts): new arguments only, merged or replacing, through the same
 * line, render and commit as PATCH and PUT. `session` is the record the hook was checked against;
 * a re-created session (another incarnation) is not the hook's, so the write answers 404.
 */
export function writeArgs(
  ctx: AppContext,
  session: SessionRecord,
  args: Record<string, unknown>,
  replace: boolean,
): Promise<SessionRecord> {
  const change: Change = { args, replace };
  return ctx.writes.run(
    session.id,
    async () => null,
    (_nothing, line) => commitWrite(null, ctx, session, line, (record) => nextRecord(ctx, record, change, null, undefined)),
  );
}

async function prepare(request: IRequest, ctx: AppContext, replace: boolean): Promise<Prepared> {
  const authorized = await authorizedWrite(request, ctx);
  const schema = replace ? ReplaceSessionBody : PatchSessionBody;
  const change: Change = { ...parseBody(schema, await readJsonBody(request, ctx.limits.maxBodyBytes)), replace };
  const expire =
    change.expire === undefined
      ? undefined
      : parseExpire(change.expire, ctx.limits.defaultExpireSeconds, ctx.limits.maxExpireSeconds);
  const parsed = change.template === undefined ? null : ctx.templates.parse(change.template);
  // Fail fast on a shape the change cannot have; re-derived below against the record written.
  nextShape(shapeOf(authorized), change);
  return { authorized, change, parsed, expire };
}

function apply(request: Request, ctx: AppContext, prepared: Prepared, line: WriteLine): Promise<SessionRecord> {
  const { authorized, change, parsed, expire } = prepared;
  return commitWrite(request, ctx, authorized, line, (record) => nextRecord(ctx, record, change, parsed, expire));
}

/** A write's next record, with the TTL to store it with (absent: keep). */
type Derived = { record: SessionRecord; ttlSeconds?: number | null | undefined };

/** Derives a write's next record from the record it will replace; synchronously where nothing is awaited. */
export type Derive = (record: SessionRecord) => Derived | Promise<Derived>;

/**
 * The commit loop every write shares, run in the session's write line: derive the next record
 * from the freshest one known, compare-and-set it, and on a conflict re-read and derive again.
 * The request was authorized against `authorized`; a record holding another token hash — a
 * rotated token, or a session deleted and created again — is written only if the request's token
 * grants that record too. Because every change, a rotation included, bumps the version, a write
 * authorized by a token that has since been rotated loses its compare-and-set, re-reads, and is
 * refused (403): it is ordered before the rotation or not applied at all.
 */
export async function commitWrite(
  // null: a webhook's write, bound to the incarnation it was checked against, whatever the token.
  request: Request | null,
  ctx: AppContext,
  authorized: SessionRecord,
  line: WriteLine,
  derive: Derive,
): Promise<SessionRecord> {
  let record = line.freshest(authorized);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      ctx.metrics.writeConflict();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      record = await loadSession(ctx, authorized.id);
    }
    if (request === null) {
      if (record.incarnation !== authorized.incarnation) throw notFound(`session ${authorized.id}`);
    } else if (record.tokenHash !== authorized.tokenHash || record.incarnation !== authorized.incarnation) {
      await authorizeFor(request, ctx, record);
    }
    const derived = derive(record);
    const { record: next, ttlSeconds } = derived instanceof Promise ? await derived : derived;
    const result = await ctx.hub.commit(next, {
      expect: { incarnation: record.incarnation, version: record.version },
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    });
    if (result === "committed") {
      line.committed(next);
      return next;
    }
    // What this process knew of the session is stale: the next attempt, or the next write, reads.
    ctx.writes.forget(authorized.id);
    if (result === "missing") throw notFound(`session ${authorized.id}`);
  }
  throw new AppError("write_conflict", "the session changed concurrently too often; retry");
}

/** The write's next record; synchronous for an svg frame (nothing to wait for), a promise for an html one. */
function nextRecord(
  ctx: AppContext,
  record: SessionRecord,
  change: Change,
  parsed: Template[] | null,
  expire: Lifetime | undefined,
): Derived | Promise<Derived> {
  const args = change.replace ? (change.args ?? {}) : mergeArgs(record.args, change.args ?? {});
  ctx.templates.checkArgs(args);
  const template = change.template ?? record.template;
  const shape = nextShape(shapeOf(record), change);
  const frame = renderFrameNow(ctx, shape, parsed ?? ctx.templates.parse(template), args);
  const derive = (frame: string): Derived => {
    const now = ctx.now();
    const { limits } = ctx;
    // Against the record this attempt read: a renewing write restarts the lifetime stored with it.
    const lifetime = nextLifetime(record, { expire, renew: change.renew }, now, limits.defaultExpireSeconds, limits.maxExpireSeconds);
    // Every field named, in one order: one object shape for every write's record (a spread of
    // records of different shapes, then a delete, left each write's record in dictionary mode).
    const next: SessionRecord = {
      id: record.id,
      template,
      args,
      frame,
      kind: shape.kind,
      width: shape.width,
      height: shape.height,
      incarnation: record.incarnation,
      version: record.version + 1,
      tokenHash: record.tokenHash,
      createdAt: record.createdAt,
      updatedAt: now,
      expiresAt: lifetime.expiresAt,
      lifetime: lifetime.lifetime,
      renew: lifetime.renew,
    };
    return { record: next, ttlSeconds: lifetime.ttlSeconds };
  };
  return typeof frame === "string" ? derive(frame) : frame.then(derive);
}
