/**
 * The scripts of the Redis session store. Each change and its announcement are one script, so
 * one round trip stores and publishes, and no writer can do one without the other. Node
 * replicas and edge deployments sharing a Redis run the same scripts through the same store
 * (redis-session-store.ts), so they write records the same way.
 *
 * A record's incarnation is compared as stored, or derived from createdAt for records written
 * before incarnations existed (LEGACY_INCARNATION_FACTOR, as in handlers' record schema).
 */
import { LEGACY_INCARNATION_FACTOR } from "../../handlers/index.js";

const incarnationOf = (rec: string) => `(${rec}.incarnation or (${rec}.createdAt * ${LEGACY_INCARNATION_FACTOR}))`;

/**
 * Lua that sets the locals `incarnation` and `version` from the stored record `cur`. A record this
 * version writes begins with both, as digits (handlers' recordJson), and is read by an anchored
 * pattern; any other (written by an older version, or with a field that is no integer) is decoded.
 * Redis runs every replica's writes on one thread: decoding a badge's 1.7 KB record took it
 * 8.2–9.1 µs per write, the pattern 0.56 µs (docs/FACTS.md). Anchored at the first byte, the
 * pattern cannot be fooled by an argument named "incarnation": in JSON a nested key never is first.
 */
const frameIdOf = (cur: string) => `
local incarnation, version = string.match(${cur}, '^{"incarnation":(%d+),"version":(%d+),')
if incarnation then
  incarnation = tonumber(incarnation)
  version = tonumber(version)
else
  local rec = cjson.decode(${cur})
  incarnation = ${incarnationOf("rec")}
  version = rec.version
end`;

/*
 * The legacy keys (keys.ts: legacySessionKey, legacyTombstoneKey) come as optional trailing KEYS,
 * passed only where they can exist (never on a Cluster, where they would be in another slot).
 */

/**
 * KEYS[1] session, KEYS[2] tombstone [, KEYS[3] legacy session, KEYS[4] legacy tombstone] · ARGV
 * record, ttl ('' for none: the session never expires), channel, announcement → 1 stored, 0
 * exists (under either key). A new session removes its id's tombstones.
 */
export const CREATE_LUA = `
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local stored
if ARGV[2] == '' then
  stored = redis.call('SET', KEYS[1], ARGV[1], 'NX')
else
  stored = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
end
if not stored then return 0 end
redis.call('DEL', KEYS[2])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * KEYS[1] session [, KEYS[2] legacy session] · ARGV record, incarnation, version, ttl, channel,
 * announcement. ttl '' keeps the remaining TTL, 'none' drops it (a plain SET leaves the key
 * without one, as PERSIST would), seconds set it: a renewing session's write re-applies its
 * lifetime here, in the same step as the compare-and-set. A record found only under the legacy
 * key is written to the new key (its remaining TTL carried over as PX) and the legacy key dropped.
 */
export const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1])
local moving = false
if not cur and KEYS[2] then
  cur = redis.call('GET', KEYS[2])
  moving = cur and true or false
end
if not cur then return 'missing' end
${frameIdOf("cur")}
if incarnation ~= tonumber(ARGV[2]) or version ~= tonumber(ARGV[3]) then return 'conflict' end
if ARGV[4] == '' and moving then
  local pttl = redis.call('PTTL', KEYS[2])
  if pttl > 0 then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', pttl)
  else
    redis.call('SET', KEYS[1], ARGV[1])
  end
elseif ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
elseif ARGV[4] == 'none' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
end
if moving then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 'committed'`;

/**
 * KEYS[1] session, KEYS[2] tombstone [, KEYS[3] legacy session, KEYS[4] legacy tombstone] · ARGV incarnation, channel, announcement, tombstone ttl →
 * 1 deleted, 0 absent or another incarnation. The tombstone (the incarnation deleted) lets a
 * replica that missed the announcement tell this delete from a loss of the record. It is written
 * after the DEL: Redis at maxmemory refuses a script's SET only while the script has written
 * nothing yet (seen on 7.0 with maxmemory 1: the delete, tombstone and announcement all went
 * through); pcall keeps the delete and its announcement going should a SET still be refused.
 */
export const DELETE_LUA = `
local cur = redis.call('GET', KEYS[1])
local legacy = false
if not cur and KEYS[3] then
  cur = redis.call('GET', KEYS[3])
  legacy = cur and true or false
end
if not cur then return 0 end
${frameIdOf("cur")}
if incarnation ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', legacy and KEYS[3] or KEYS[1])
redis.pcall('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** Each script's Cluster form, made once (a write would otherwise copy its script, and hash the copy for its SHA). */
const SHARDED = new Map<string, string>();

/**
 * The script for a Redis Cluster: the same steps, with each announcement an SPUBLISH on the
 * session's sharded channel (keys.ts shardChannelKey), which lives in the slot of the script's
 * keys, so it reaches the subscribers of the shard that owns the session. Redis 7.0 does not
 * check an SPUBLISH channel's slot inside a script (seen on 7.0.15), so the channel's tag is what
 * keeps it right.
 */
export function shardedScript(lua: string): string {
  let sharded = SHARDED.get(lua);
  if (sharded === undefined) {
    sharded = lua.replaceAll("redis.call('PUBLISH',", "redis.call('SPUBLISH',");
    SHARDED.set(lua, sharded);
  }
  return sharded;
}
