import type { AppContext } from "../context.js";
import { AppError } from "../http/errors.js";
import type { HookStore } from "../ports/hook-store.js";
import { expiresNever } from "../sessions/lifetime.js";
import type { SessionRecord } from "../sessions/record.js";
import { parseStoredHook, type HookRecord } from "./record.js";
import { HOOK_ID } from "./secrets.js";

/**
 * Hooks die with their session: a hook key (and the session's index of them) is given the
 * session's remaining lifetime when it is made, and every owner call (create, list, rotate) and
 * every applied delivery moves it to the session's current expiry. A hook is bound to the
 * session's incarnation; found without its session, or with a session made again, it is removed
 * there and then and answers 404. Deleting a session removes its hooks too.
 */

export function hookStore(ctx: AppContext): HookStore {
  const hooks = ctx.store.hooks;
  if (!hooks) throw new AppError("hooks_unavailable", `the ${ctx.store.kind} store keeps no webhooks`);
  return hooks;
}

export const hookNotFound = (id: string) => new AppError("hook_not_found", `hook ${id} not found`);

/** Seconds the session has left, as a TTL; null when it never expires. */
export function ttlOfSession(record: SessionRecord, now: number): number | null {
  if (expiresNever(record.expiresAt)) return null;
  return Math.max(1, Math.ceil((record.expiresAt - now) / 1000));
}

export async function readHook(hooks: HookStore, id: string): Promise<HookRecord> {
  if (!HOOK_ID.test(id)) throw hookNotFound(id);
  const json = await hooks.getHook(id);
  const hook = json === null ? null : parseStoredHook(json);
  if (!hook) throw hookNotFound(id);
  return hook;
}

/** The session's live hooks; index entries of hooks that are gone or of an earlier incarnation are removed. */
export async function hooksOf(hooks: HookStore, session: SessionRecord): Promise<HookRecord[]> {
  const live: HookRecord[] = [];
  const stale: string[] = [];
  for (const id of await hooks.indexMembers(session.id)) {
    const json = await hooks.getHook(id);
    const hook = json === null ? null : parseStoredHook(json);
    if (hook && hook.sessionId === session.id && hook.incarnation === session.incarnation) live.push(hook);
    else {
      stale.push(id);
      if (hook) await hooks.deleteHook(id);
    }
  }
  if (stale.length > 0) await hooks.indexRemove(session.id, stale);
  return live.sort((a, b) => a.createdAt - b.createdAt);
}

/** Keeps the hooks' and the index's expiry with the session's. */
export async function keepWithSession(hooks: HookStore, session: SessionRecord, ids: string[], now: number): Promise<void> {
  const ttl = ttlOfSession(session, now);
  for (const id of ids) await hooks.expireHook(id, ttl);
  await hooks.expireIndex(session.id, ttl);
}

export async function removeHook(hooks: HookStore, hook: HookRecord): Promise<void> {
  // Hook first: an index entry left behind is pruned by the next listing; a hook left behind would still answer.
  await hooks.deleteHook(hook.hookId);
  await hooks.indexRemove(hook.sessionId, [hook.hookId]);
}

/** After a session's delete: its hooks go too (best effort; hooks of a missing session also die lazily). */
export async function removeHooksOfSession(ctx: AppContext, sessionId: string): Promise<void> {
  const hooks = ctx.store.hooks;
  if (!hooks) return;
  try {
    const ids = await hooks.indexMembers(sessionId);
    for (const id of ids) await hooks.deleteHook(id);
    await hooks.indexRemove(sessionId, ids);
  } catch (error) {
    ctx.report(error);
  }
}
