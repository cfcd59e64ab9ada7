import type { IRequest } from "itty-router";
import type { AppContext } from "../context.js";
import { readBody } from "../http/body.js";
import { AppError, ERROR_CODES } from "../http/errors.js";
import { json } from "../http/respond.js";
import type { HookStore } from "../ports/hook-store.js";
import type { SessionRecord } from "../sessions/record.js";
import { writeArgs } from "../sessions/write.js";
import { hashToken } from "../http/auth.js";
import { hookNotFound, hookStore, keepWithSession, readHook, removeHook } from "./hooks.js";
import { mapArgs, payloadOf, scopeOf } from "./mapping.js";
import type { DeliveryEntry, HookRecord } from "./record.js";
import { openSecret } from "./secrets.js";
import { verifyDelivery, type Delivery } from "./verify.js";
import { requestUrl } from "../http/request-url.js";

/**
 * POST /hook/:hook (and /hook/:hook/:token; GET too for token hooks that allow it): a sender's
 * delivery, verified by the hook's scheme, filtered, mapped to arguments and written through the
 * same write path as PATCH and PUT, so open streams update. A hook can change only its session's
 * arguments: it never deletes the session, changes its template or lifetime, or reads its token.
 */

/** Deliveries kept per hook, and for how long. */
export const DELIVERY_LOG_SIZE = 20;
const DELIVERY_LOG_SECONDS = 7 * 86_400;
/** How long an applied delivery id is remembered (GitHub and GitLab redeliver by hand, usually within hours). */
export const REPLAY_SECONDS = 86_400;
/** How long a delivery id is held while its write runs (the render deadline bounds the write well below this). */
const PENDING_SECONDS = 30;

const MAX_LOGGED_ID = 200;

export async function deliverHook(request: IRequest, ctx: AppContext): Promise<Response> {
  const hooks = hookStore(ctx);
  const hook = await readHook(hooks, String(request.params.hook));
  // HEAD (which the router gives every GET route) never writes: a link checker's HEAD is no delivery.
  if (request.method !== "POST" && !(request.method === "GET" && hook.verify === "token" && hook.allowGet)) {
    throw new AppError("method_not_allowed", "this hook takes POST (GET only for token hooks created with allow_get)", { Allow: "POST, OPTIONS" });
  }
  const delivery: Delivery = {
    method: request.method,
    url: requestUrl(request),
    headers: request.headers,
    body: request.method === "GET" ? new Uint8Array(0) : await readBody(request, ctx.limits.maxBodyBytes),
    pathToken: typeof request.params.token === "string" ? pathSegment(request.params.token) : undefined,
  };
  const log = new DeliveryLog(ctx, hooks, hook, request.method);
  try {
    return await deliver(ctx, hooks, hook, delivery, log);
  } catch (error) {
    await log.failed(error);
    throw error;
  }
}

async function deliver(ctx: AppContext, hooks: HookStore, hook: HookRecord, delivery: Delivery, log: DeliveryLog): Promise<Response> {
  const secret = "sha256" in hook.secret ? hook.secret.sha256 : await openSecret(hook.secret, await ctx.secretsKey);
  const verified = await verifyDelivery(hook, secret, delivery, ctx.now());
  log.verified = true;
  log.deliveryId = verified.deliveryId;

  const session = await sessionOf(ctx, hooks, hook);
  const payload = payloadOf(delivery);
  // Standard Webhooks name the event in the body's `type`.
  const event = verified.event ?? (typeof payload.type === "string" ? payload.type : null);
  log.event = event;
  if (hook.verify === "github" && event === "ping") return log.answer(200, "ping", { ping: true });
  if (hook.events && !matchesFilter(hook.events, event, payload)) {
    return log.answer(202, "ignored", { ignored: true, event });
  }

  const deliveryHash = verified.deliveryId === null ? null : await hashToken(verified.deliveryId);
  if (deliveryHash !== null) {
    const claim = await hooks.claimDelivery(hook.hookId, deliveryHash, PENDING_SECONDS);
    if (claim === "duplicate") return log.answer(200, "duplicate", { duplicate: true });
    if (claim === "pending") throw new AppError("delivery_in_progress", "a delivery with this id is being applied; retry later");
  }
  let record: SessionRecord;
  try {
    const args = await mapArgs(ctx.templates, hook.map, scopeOf(delivery, payload, delivery.method === "GET"));
    log.args = args;
    ctx.templates.checkArgs(args);
    record = await writeArgs(ctx, session, args, hook.mode === "replace");
  } catch (error) {
    // Not applied: forget the id, so the sender's redelivery is tried again.
    if (deliveryHash !== null) await hooks.settleDelivery(hook.hookId, deliveryHash, false, REPLAY_SECONDS).catch(ctx.report);
    throw error;
  }
  if (deliveryHash !== null) await hooks.settleDelivery(hook.hookId, deliveryHash, true, REPLAY_SECONDS).catch(ctx.report);
  await keepWithSession(hooks, record, [hook.hookId], ctx.now()).catch(ctx.report);
  return log.answer(200, "applied", { applied: true, version: record.version, args: log.args });
}

/** A path segment decoded; a malformed escape is compared as sent (and so fails like any wrong token). */
function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The hook's session, of the incarnation it was made for; otherwise the hook is removed and answers 404. */
async function sessionOf(ctx: AppContext, hooks: HookStore, hook: HookRecord): Promise<SessionRecord> {
  const found = await ctx.store.lookup(hook.sessionId);
  if (found.state === "live" && found.record.incarnation === hook.incarnation) return found.record;
  await removeHook(hooks, hook);
  throw hookNotFound(hook.hookId);
}

/** An event matches a filter entry by its name (`workflow_run`) or, when the body has an `action`, by `name.action` (`workflow_run.completed`). */
function matchesFilter(events: string[], event: string | null, payload: Record<string, unknown>): boolean {
  if (event === null) return false;
  const action = typeof payload.action === "string" ? `${event}.${payload.action}` : null;
  return events.includes(event) || (action !== null && events.includes(action));
}

/** One delivery's entry in the hook's log, written once with how it ended. Best effort: a log failure never fails a delivery. */
class DeliveryLog {
  verified = false;
  event: string | null = null;
  deliveryId: string | null = null;
  args: Record<string, unknown> | undefined;
  private readonly at: string;

  constructor(
    private readonly ctx: AppContext,
    private readonly hooks: HookStore,
    private readonly hook: HookRecord,
    private readonly method: string,
  ) {
    this.at = new Date(ctx.now()).toISOString();
  }

  async answer(status: number, outcome: string, body: Record<string, unknown>): Promise<Response> {
    await this.write({ status, outcome, ...(this.args ? { args: this.args } : {}) });
    return json(status, { ok: true, ...body });
  }

  async failed(error: unknown): Promise<void> {
    const known = error instanceof AppError;
    const status = known ? error.status : ERROR_CODES.internal_error.status;
    await this.write({
      status,
      outcome: known ? error.code : "internal_error",
      error: known ? error.message : "internal error",
      ...(this.args ? { args: this.args } : {}),
    });
  }

  private async write(end: Pick<DeliveryEntry, "status" | "outcome" | "args" | "error">): Promise<void> {
    const entry: DeliveryEntry = {
      at: this.at,
      method: this.method,
      event: this.event,
      delivery_id: this.deliveryId === null ? null : this.deliveryId.slice(0, MAX_LOGGED_ID),
      verified: this.verified,
      ...end,
    };
    await this.hooks.logDelivery(this.hook.hookId, JSON.stringify(entry), DELIVERY_LOG_SIZE, DELIVERY_LOG_SECONDS).catch(this.ctx.report);
  }
}
