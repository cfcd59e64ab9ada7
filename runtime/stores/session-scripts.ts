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
 * KEYS[1] session, KEYS[2] tombstone · ARGV record, ttl ('' for none: the session never expires),
 * channel, announcement → 1 stored, 0 exists. A new session removes its id's tombstone.
 */
export const CREATE_LUA = `
local stored
if ARGV[2] == '' then
  stored = redis.call('SET', KEYS[1], ARGV[1], 'NX')
else
  stored = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
end
if not stored then return 0 end
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * KEYS[1] session · ARGV record, incarnation, version, ttl, channel, announcement. ttl '' keeps
 * the remaining TTL, 'none' drops it (a plain SET leaves the key without one, as PERSIST would),
 * seconds set it: a renewing session's write re-applies its lifetime here, in the same step as
 * the compare-and-set.
 */
export const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
local rec = cjson.decode(cur)
if ${incarnationOf("rec")} ~= tonumber(ARGV[2]) or rec.version ~= tonumber(ARGV[3]) then return 'conflict' end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
elseif ARGV[4] == 'none' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 'committed'`;

/**
 * KEYS[1] session, KEYS[2] tombstone · ARGV incarnation, channel, announcement, tombstone ttl →
 * 1 deleted, 0 absent or another incarnation. The tombstone (the incarnation deleted) lets a
 * replica that missed the announcement tell this delete from a loss of the record. It is written
 * after the DEL: Redis at maxmemory refuses a script's SET only while the script has written
 * nothing yet (seen on 7.0 with maxmemory 1: the delete, tombstone and announcement all went
 * through); pcall keeps the delete and its announcement going should a SET still be refused.
 */
export const DELETE_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local rec = cjson.decode(cur)
local incarnation = ${incarnationOf("rec")}
if incarnation ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.pcall('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;
