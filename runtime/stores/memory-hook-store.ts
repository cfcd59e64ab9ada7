/**
 * Webhooks in this process's heap, for the memory store: the same operations and expiries as on
 * Redis (redis-hook-store.ts). Bounded by what feeds it: MAX_HOOKS_PER_SESSION hooks per session,
 * DELIVERY_LOG_SIZE entries per hook, and replay marks only for verified deliveries; expired
 * entries are dropped when read and by the store's sweep.
 */
import type { DeliveryClaim, HookStore } from "../../handlers/index.js";

interface Expiring<T> {
  value: T;
  /** Epoch ms; Infinity: never. */
  until: number;
}

export class MemoryHookStore implements HookStore {
  private readonly hooks = new Map<string, Expiring<string>>();
  private readonly indexes = new Map<string, Expiring<Set<string>>>();
  private readonly seen = new Map<string, Expiring<"pending" | "applied">>();
  private readonly logs = new Map<string, Expiring<string[]>>();

  constructor(private readonly now: () => number) {}

  async getHook(hookId: string): Promise<string | null> {
    return this.live(this.hooks, hookId)?.value ?? null;
  }

  async putHook(hookId: string, json: string, ttlSeconds: number | null): Promise<void> {
    this.hooks.set(hookId, { value: json, until: this.until(ttlSeconds) });
  }

  async replaceHook(hookId: string, json: string): Promise<boolean> {
    const current = this.live(this.hooks, hookId);
    if (!current) return false;
    current.value = json;
    return true;
  }

  async expireHook(hookId: string, ttlSeconds: number | null): Promise<void> {
    const current = this.live(this.hooks, hookId);
    if (current) current.until = this.until(ttlSeconds);
  }

  async deleteHook(hookId: string): Promise<void> {
    this.hooks.delete(hookId);
    this.logs.delete(hookId);
  }

  async indexAdd(sessionId: string, hookId: string, max: number, ttlSeconds: number | null): Promise<boolean> {
    const index = this.live(this.indexes, sessionId) ?? { value: new Set<string>(), until: 0 };
    if (!index.value.has(hookId) && index.value.size >= max) return false;
    index.value.add(hookId);
    index.until = Math.max(index.until, this.until(ttlSeconds));
    this.indexes.set(sessionId, index);
    return true;
  }

  async expireIndex(sessionId: string, ttlSeconds: number | null): Promise<void> {
    const index = this.live(this.indexes, sessionId);
    if (index) index.until = this.until(ttlSeconds);
  }

  async indexMembers(sessionId: string): Promise<string[]> {
    return [...(this.live(this.indexes, sessionId)?.value ?? [])];
  }

  async indexRemove(sessionId: string, hookIds: string[]): Promise<void> {
    const index = this.live(this.indexes, sessionId);
    if (!index) return;
    for (const id of hookIds) index.value.delete(id);
    if (index.value.size === 0) this.indexes.delete(sessionId);
  }

  async claimDelivery(hookId: string, deliveryHash: string, pendingSeconds: number): Promise<DeliveryClaim> {
    const key = `${hookId}:${deliveryHash}`;
    const mark = this.live(this.seen, key);
    if (mark) return mark.value === "applied" ? "duplicate" : "pending";
    this.seen.set(key, { value: "pending", until: this.until(pendingSeconds) });
    return "claimed";
  }

  async settleDelivery(hookId: string, deliveryHash: string, applied: boolean, ttlSeconds: number): Promise<void> {
    const key = `${hookId}:${deliveryHash}`;
    if (applied) this.seen.set(key, { value: "applied", until: this.until(ttlSeconds) });
    else if (this.live(this.seen, key)?.value === "pending") this.seen.delete(key);
  }

  async logDelivery(hookId: string, entryJson: string, keep: number, ttlSeconds: number): Promise<void> {
    const log = this.live(this.logs, hookId) ?? { value: [], until: 0 };
    log.value.unshift(entryJson);
    log.value.length = Math.min(log.value.length, keep);
    log.until = this.until(ttlSeconds);
    this.logs.set(hookId, log);
  }

  async deliveries(hookId: string): Promise<string[]> {
    return [...(this.live(this.logs, hookId)?.value ?? [])];
  }

  /** Drops every expired entry (the memory store's sweep calls it). */
  sweep(): void {
    const now = this.now();
    for (const map of [this.hooks, this.indexes, this.seen, this.logs] as Map<string, Expiring<unknown>>[]) {
      for (const [key, entry] of map) if (entry.until <= now) map.delete(key);
    }
  }

  private until(ttlSeconds: number | null): number {
    return ttlSeconds === null ? Number.POSITIVE_INFINITY : this.now() + ttlSeconds * 1000;
  }

  private live<T>(map: Map<string, Expiring<T>>, key: string): Expiring<T> | undefined {
    const entry = map.get(key);
    if (entry && entry.until <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }
}
