/**
 * Key schema shared by every Redis-backed store (TCP and HTTP), so both can share one Redis and
 * see each other's sessions and channels. Every key and channel starts with the prefix; ids are
 * validated by handlers before they get here.
 */

export const DEFAULT_PREFIX = "rsvg:";

const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{0,64}$/;

/** Returns the prefix unchanged, or throws: a prefix with spaces or glob characters would make
 *  keys ambiguous and `PUBSUB CHANNELS <prefix>*` / SCAN patterns unsafe. */
export function validatePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`invalid key prefix ${JSON.stringify(prefix)}: use at most 64 of A-Z a-z 0-9 . _ : -`);
  }
  return prefix;
}

/**
 * A session's keys carry its id as hash tag (`{id}`), so Redis Cluster puts the record and its
 * tombstone in one slot and a script may touch both. The same schema serves every topology:
 * single, Sentinel, Cluster, and the edge host's Upstash. Ids cannot contain braces (handlers
 * validate them), so the tag is exactly the id.
 */
export const sessionKey = (prefix: string, id: string): string => `${prefix}{${id}}:session`;
/** A deleted session's tombstone: the incarnation deleted, kept TOMBSTONE_SECONDS (handlers/ports/session-store.ts). */
export const tombstoneKey = (prefix: string, id: string): string => `${prefix}{${id}}:deleted`;
/**
 * The keys before hash tags. Records and tombstones there are still read, and a record is moved
 * to sessionKey by its next commit (the scripts take both keys). Only a single Redis or a
 * Sentinel-named primary can hold them: no release wrote to a Cluster, and on a Cluster these
 * keys hash to another slot than the tagged ones, so the store never passes them there.
 */
export const legacySessionKey = (prefix: string, id: string): string => `${prefix}session:${id}`;
export const legacyTombstoneKey = (prefix: string, id: string): string => `${prefix}deleted:${id}`;
export const channelKey = (prefix: string, channel: string): string => `${prefix}channel:${channel}`;

/** The session id a channel key names, or null for a key outside this prefix. */
export function channelOf(prefix: string, key: string): string | null {
  const head = channelKey(prefix, "");
  return key.startsWith(head) ? key.slice(head.length) : null;
}

/** Redis `EX` takes a positive integer; reject anything else before it reaches a store. */
export function assertTtlSeconds(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${String(ttlSeconds)}`);
  }
}

/**
 * Webhooks. A hook is its own key, found by its id; the session's index of hook ids is a set of
 * its own. No script touches two of these keys, or one of them and a session key, so each script
 * stays within one Redis Cluster slot whatever the ids hash to (ports/hook-store.ts).
 */
export const hookKey = (prefix: string, hookId: string): string => `${prefix}hook:${hookId}`;
export const hookIndexKey = (prefix: string, sessionId: string): string => `${prefix}hooks:${sessionId}`;
/** A delivery id seen by a hook (its SHA-256, so any id the sender chose is a safe key): "pending" or "applied". */
export const hookSeenKey = (prefix: string, hookId: string, deliveryHash: string): string => `${prefix}hook-seen:${hookId}:${deliveryHash}`;
/** A hook's recent deliveries, newest first. */
export const hookLogKey = (prefix: string, hookId: string): string => `${prefix}hook-log:${hookId}`;
