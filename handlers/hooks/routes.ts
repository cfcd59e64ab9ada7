import type { IRequest } from "itty-router";
import * as v from "valibot";
import { baseUrl, type AppContext } from "../context.js";
import { readJsonBody } from "../http/body.js";
import { AppError } from "../http/errors.js";
import { json } from "../http/respond.js";
import { checkArgsShape } from "../sessions/args.js";
import { authorizedSession } from "../sessions/authorized.js";
import { parseBody } from "../sessions/request-schema.js";
import type { SessionRecord } from "../sessions/record.js";
import { hookNotFound, hooksOf, hookStore, keepWithSession, readHook, removeHook, ttlOfSession } from "./hooks.js";
import { MAX_MAP_ENTRIES } from "./mapping.js";
import { HOOK_SCHEMES, type HookRecord } from "./record.js";
import { fromBase64, newHookId, newSecret, storeSecret } from "./secrets.js";

/** The owner's side of hooks: create, list, delete, rotate a secret, read recent deliveries. All need the write token or the API key. */

/** Most event names one hook may filter on. */
const MAX_EVENTS = 32;

const CreateHookBody = v.strictObject(
  {
    verify: v.picklist(HOOK_SCHEMES, 'verify must be "github", "gitlab", "standard" or "token"'),
    map: v.record(v.string(), v.string("each map value must be a Liquid string"), "map must be an object of argument names to Liquid strings"),
    events: v.optional(v.pipe(v.array(v.pipe(v.string("events must be strings"), v.minLength(1), v.maxLength(100))), v.maxLength(MAX_EVENTS, `at most ${MAX_EVENTS} events`))),
    mode: v.optional(v.picklist(["patch", "replace"], 'mode must be "patch" or "replace"')),
    allow_get: v.optional(v.boolean("allow_get must be true or false")),
    secret: v.optional(v.string("secret must be a string")),
  },
  "unknown field",
);

function checkMap(ctx: AppContext, map: Record<string, string>): void {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new AppError("invalid_body", "map must name at least one argument");
  if (entries.length > MAX_MAP_ENTRIES) throw new AppError("invalid_body", `map may set at most ${MAX_MAP_ENTRIES} arguments`);
  // Keys are argument names: the same characters as any args key; values are bounded like a template, all together.
  checkArgsShape(Object.fromEntries(entries.map(([name]) => [name, ""])), ctx.limits);
  const size = new TextEncoder().encode(JSON.stringify(map)).byteLength;
  if (size > ctx.limits.maxTemplateBytes) {
    throw new AppError("template_too_large", `map exceeds ${ctx.limits.maxTemplateBytes} bytes (MAX_TEMPLATE_BYTES)`);
  }
  for (const [name, source] of entries) {
    try {
      ctx.templates.parseMapping(source);
    } catch (error) {
      const code = error instanceof AppError ? error.code : "template_syntax";
      throw new AppError(code, `map.${name}: ${(error as Error).message}`);
    }
  }
}

/**
 * A secret the sender chose: senders that generate their own signing secret (many Standard
 * Webhooks senders do) give it to the receiver. Bounded below so it cannot be guessed; token
 * credentials travel in URLs, so only URL-safe characters.
 */
function checkSecret(scheme: HookRecord["verify"], secret: string): string {
  if (scheme === "standard") {
    const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
    const bytes = key === undefined ? null : fromBase64(key);
    if (bytes === null || bytes.byteLength < 24 || bytes.byteLength > 64) {
      throw new AppError("invalid_body", "secret: a standard hook's secret is whsec_ followed by base64 of 24 to 64 bytes");
    }
    return secret;
  }
  const allowed = scheme === "token" ? /^[A-Za-z0-9._~-]{24,256}$/ : /^[\x21-\x7e]{24,256}$/;
  if (!allowed.test(secret)) {
    throw new AppError("invalid_body", `secret: 24 to 256 ${scheme === "token" ? "URL-safe characters (A-Z a-z 0-9 . _ ~ -)" : "printable ASCII characters"}`);
  }
  return secret;
}

/** What a sender is given: for token hooks with the credential in the path, which only the create and rotate answers show. */
function hookUrl(ctx: AppContext, request: Request, hook: HookRecord, secret?: string): string {
  const url = `${baseUrl(ctx, request)}/hook/${hook.hookId}`;
  return hook.verify === "token" && secret !== undefined ? `${url}/${secret}` : url;
}

function hookView(ctx: AppContext, request: Request, hook: HookRecord) {
  return {
    hook_id: hook.hookId,
    url: hookUrl(ctx, request, hook),
    verify: hook.verify,
    map: hook.map,
    ...(hook.events ? { events: hook.events } : {}),
    mode: hook.mode,
    allow_get: hook.allowGet,
    created_at: new Date(hook.createdAt).toISOString(),
    secret_set_at: new Date(hook.secretAt).toISOString(),
  };
}

/** The session's hook named in the path, checked to be of this session and incarnation. */
async function ownedHook(request: IRequest, ctx: AppContext, session: SessionRecord): Promise<HookRecord> {
  const id = String(request.params.hook);
  const hook = await readHook(hookStore(ctx), id);
  if (hook.sessionId !== session.id || hook.incarnation !== session.incarnation) throw hookNotFound(id);
  return hook;
}

/** POST /api/session/:id/hooks */
export async function createHook(request: IRequest, ctx: AppContext): Promise<Response> {
  const session = await authorizedSession(request, ctx);
  const hooks = hookStore(ctx);
  const body = parseBody(CreateHookBody, await readJsonBody(request, ctx.limits.maxBodyBytes));
  checkMap(ctx, body.map);
  if (body.allow_get && body.verify !== "token") throw new AppError("invalid_body", "allow_get: only token hooks may be called with GET");
  if (body.events && body.verify === "token") throw new AppError("invalid_body", "events: token hooks have no event to filter on");

  const now = ctx.now();
  const hookId = newHookId();
  const secret = body.secret === undefined ? newSecret(body.verify) : checkSecret(body.verify, body.secret);
  const hook: HookRecord = {
    hookId,
    sessionId: session.id,
    incarnation: session.incarnation,
    verify: body.verify,
    map: body.map,
    ...(body.events ? { events: body.events } : {}),
    mode: body.mode ?? "patch",
    allowGet: body.allow_get ?? false,
    secret: await storeSecret(body.verify, secret, await ctx.secretsKey),
    createdAt: now,
    secretAt: now,
  };
  const existing = await hooksOf(hooks, session);
  const ttl = ttlOfSession(session, now);
  // Index first: a hook is never stored that its session cannot list (and so delete).
  if (!(await hooks.indexAdd(session.id, hookId, ctx.limits.maxHooksPerSession, ttl))) {
    throw new AppError("too_many_hooks", `session ${session.id} has ${ctx.limits.maxHooksPerSession} hooks (MAX_HOOKS_PER_SESSION); delete one first`);
  }
  await hooks.putHook(hookId, JSON.stringify(hook), ttl);
  await keepWithSession(hooks, session, existing.map((other) => other.hookId), now);
  return json(201, { ...hookView(ctx, request, hook), url: hookUrl(ctx, request, hook, secret), secret }, {
    Location: `/api/session/${session.id}/hooks/${hookId}`,
  });
}

/** GET /api/session/:id/hooks: secrets are never shown again. */
export async function listHooks(request: IRequest, ctx: AppContext): Promise<Response> {
  const session = await authorizedSession(request, ctx);
  const hooks = hookStore(ctx);
  const live = await hooksOf(hooks, session);
  await keepWithSession(hooks, session, live.map((hook) => hook.hookId), ctx.now());
  return json(200, { hooks: live.map((hook) => hookView(ctx, request, hook)) });
}

/** DELETE /api/session/:id/hooks/:hook */
export async function deleteHook(request: IRequest, ctx: AppContext): Promise<Response> {
  const session = await authorizedSession(request, ctx);
  await removeHook(hookStore(ctx), await ownedHook(request, ctx, session));
  return new Response(null, { status: 204 });
}

/** POST /api/session/:id/hooks/:hook/secret: a new secret; the old one stops working at once. */
export async function rotateHookSecret(request: IRequest, ctx: AppContext): Promise<Response> {
  const session = await authorizedSession(request, ctx);
  const hooks = hookStore(ctx);
  const hook = await ownedHook(request, ctx, session);
  const secret = newSecret(hook.verify);
  const now = ctx.now();
  const next: HookRecord = { ...hook, secret: await storeSecret(hook.verify, secret, await ctx.secretsKey), secretAt: now };
  if (!(await hooks.replaceHook(hook.hookId, JSON.stringify(next)))) throw hookNotFound(hook.hookId);
  await keepWithSession(hooks, session, [hook.hookId], now);
  return json(200, { hook_id: hook.hookId, secret, url: hookUrl(ctx, request, next, secret) });
}

/** GET /api/session/:id/hooks/:hook/deliveries: the most recent deliveries, newest first. */
export async function hookDeliveries(request: IRequest, ctx: AppContext): Promise<Response> {
  const session = await authorizedSession(request, ctx);
  const hook = await ownedHook(request, ctx, session);
  const entries = await hookStore(ctx).deliveries(hook.hookId);
  const deliveries = entries.flatMap((entry) => {
    try {
      return [JSON.parse(entry) as unknown];
    } catch {
      return [];
    }
  });
  return json(200, { hook_id: hook.hookId, deliveries });
}
