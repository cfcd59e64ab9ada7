/**
 * Where webhooks live: each hook is its own key, found by its id; a set per session lists them.
 * Every method touches exactly one key, never a hook key and a session key together (nor two
 * hook keys): a Redis Cluster needs all keys of one script in one slot, and a hook id and its
 * session id hash to different slots. Handlers order the steps so that a failure between them
 * leaves at worst an index entry without a hook, which listing removes.
 */

/** What a delivery id's replay mark says: applied once already, or being applied right now. */
export type DeliveryClaim = "claimed" | "duplicate" | "pending";

export interface HookStore {
  /** The stored hook (JSON), or null. */
  getHook(hookId: string): Promise<string | null>;
  /** Stores the hook; `ttlSeconds` null: no expiry. */
  putHook(hookId: string, json: string, ttlSeconds: number | null): Promise<void>;
  /** Replaces a hook that exists, keeping its expiry; false when it does not exist. */
  replaceHook(hookId: string, json: string): Promise<boolean>;
  /** Moves a hook's expiry (null: none); nothing when it does not exist. */
  expireHook(hookId: string, ttlSeconds: number | null): Promise<void>;
  /** Removes the hook, its replay marks expire by themselves; its delivery log too. */
  deleteHook(hookId: string): Promise<void>;
  /** Adds a hook id to the session's index unless it holds `max` already; the index lives at least `ttlSeconds` (null: forever). */
  indexAdd(sessionId: string, hookId: string, max: number, ttlSeconds: number | null): Promise<boolean>;
  /** Moves the index's expiry (null: none); nothing when it does not exist. */
  expireIndex(sessionId: string, ttlSeconds: number | null): Promise<void>;
  indexMembers(sessionId: string): Promise<string[]>;
  indexRemove(sessionId: string, hookIds: string[]): Promise<void>;
  /**
   * Marks a delivery id as being applied, for `pendingSeconds`, unless it is marked already:
   * "duplicate" when it was applied, "pending" when another request is applying it.
   */
  claimDelivery(hookId: string, deliveryHash: string, pendingSeconds: number): Promise<DeliveryClaim>;
  /** After the attempt: applied → remembered for `ttlSeconds`; failed → the mark is removed, so a redelivery applies. */
  settleDelivery(hookId: string, deliveryHash: string, applied: boolean, ttlSeconds: number): Promise<void>;
  /** Prepends an entry to the hook's delivery log, keeping the newest `keep`, the log kept `ttlSeconds`. */
  logDelivery(hookId: string, entryJson: string, keep: number, ttlSeconds: number): Promise<void>;
  /** The delivery log, newest first. */
  deliveries(hookId: string): Promise<string[]>;
}
