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

/**
 * A session's channel on a Redis Cluster, where pub/sub is sharded (SPUBLISH/SSUBSCRIBE, Redis 7):
 * it carries the id as hash tag, so it lives in the slot of the session's keys and the script that
 * writes the record publishes on the shard that owns both. A single Redis and a Sentinel-named
 * primary keep channelKey and plain PUBLISH, which older replicas and the edge host's HTTP Redis
 * share.
 */
export const shardChannelKey = (prefix: string, channel: string): string => `${prefix}{${channel}}:channel`;

/** The session id a sharded channel key names, or null for any other key. */
export function shardChannelOf(prefix: string, key: string): string | null {
  if (!key.startsWith(`${prefix}{`) || !key.endsWith("}:channel")) return null;
  return key.slice(prefix.length + 1, -"}:channel".length);
}

/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag — the part between the
 * first `{` and the next `}`, when that is not empty — or of the whole key, modulo 16384.
 */
export function keySlot(key: string): number {
  const bytes = new TextEncoder().encode(key);
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

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
