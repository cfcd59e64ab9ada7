/**
 * Webhooks on Redis: one script per method, each on one key (hook-scripts.ts), run through the
 * session store's EVALSHA and error handling, so a failure is a 503 and a full Redis a 507.
 */
import type { DeliveryClaim, HookStore } from "../../handlers/index.js";
import { hookIndexKey, hookKey, hookLogKey, hookSeenKey } from "./keys.js";
import {
  CLAIM_LUA,
  DEL_LUA,
  EXPIRE_LUA,
  HOOK_PUT_LUA,
  HOOK_REPLACE_LUA,
  INDEX_ADD_LUA,
  INDEX_MEMBERS_LUA,
  INDEX_REMOVE_LUA,
  LOG_LUA,
  LOG_READ_LUA,
  SETTLE_LUA,
} from "./hook-scripts.js";

export type RunScript = (lua: string, keys: [string], args: string[]) => Promise<unknown>;

const ttlArg = (ttlSeconds: number | null) => (ttlSeconds === null ? "" : String(ttlSeconds));
const strings = (reply: unknown): string[] => (Array.isArray(reply) ? reply.map(String) : []);

export class RedisHookStore implements HookStore {
  constructor(
    private readonly prefix: string,
    private readonly script: RunScript,
    private readonly get: (key: string) => Promise<string | null>,
  ) {}

  getHook(hookId: string): Promise<string | null> {
    return this.get(hookKey(this.prefix, hookId));
  }

  async putHook(hookId: string, json: string, ttlSeconds: number | null): Promise<void> {
    await this.script(HOOK_PUT_LUA, [hookKey(this.prefix, hookId)], [json, ttlArg(ttlSeconds)]);
  }

  async replaceHook(hookId: string, json: string): Promise<boolean> {
    return (await this.script(HOOK_REPLACE_LUA, [hookKey(this.prefix, hookId)], [json])) === 1;
  }

  async expireHook(hookId: string, ttlSeconds: number | null): Promise<void> {
    await this.script(EXPIRE_LUA, [hookKey(this.prefix, hookId)], [ttlArg(ttlSeconds)]);
  }

  async deleteHook(hookId: string): Promise<void> {
    await this.script(DEL_LUA, [hookKey(this.prefix, hookId)], []);
    await this.script(DEL_LUA, [hookLogKey(this.prefix, hookId)], []);
  }

  async indexAdd(sessionId: string, hookId: string, max: number, ttlSeconds: number | null): Promise<boolean> {
    return (await this.script(INDEX_ADD_LUA, [hookIndexKey(this.prefix, sessionId)], [hookId, String(max), ttlArg(ttlSeconds)])) === 1;
  }

  async expireIndex(sessionId: string, ttlSeconds: number | null): Promise<void> {
    await this.script(EXPIRE_LUA, [hookIndexKey(this.prefix, sessionId)], [ttlArg(ttlSeconds)]);
  }

  async indexMembers(sessionId: string): Promise<string[]> {
    return strings(await this.script(INDEX_MEMBERS_LUA, [hookIndexKey(this.prefix, sessionId)], []));
  }

  async indexRemove(sessionId: string, hookIds: string[]): Promise<void> {
    if (hookIds.length === 0) return;
    await this.script(INDEX_REMOVE_LUA, [hookIndexKey(this.prefix, sessionId)], hookIds);
  }

  async claimDelivery(hookId: string, deliveryHash: string, pendingSeconds: number): Promise<DeliveryClaim> {
    const reply = await this.script(CLAIM_LUA, [hookSeenKey(this.prefix, hookId, deliveryHash)], [String(pendingSeconds)]);
    return reply === "duplicate" || reply === "pending" ? reply : "claimed";
  }

  async settleDelivery(hookId: string, deliveryHash: string, applied: boolean, ttlSeconds: number): Promise<void> {
    await this.script(SETTLE_LUA, [hookSeenKey(this.prefix, hookId, deliveryHash)], [applied ? "1" : "0", String(ttlSeconds)]);
  }

  async logDelivery(hookId: string, entryJson: string, keep: number, ttlSeconds: number): Promise<void> {
    await this.script(LOG_LUA, [hookLogKey(this.prefix, hookId)], [entryJson, String(keep), String(ttlSeconds)]);
  }

  async deliveries(hookId: string): Promise<string[]> {
    return strings(await this.script(LOG_READ_LUA, [hookLogKey(this.prefix, hookId)], []));
  }
}
