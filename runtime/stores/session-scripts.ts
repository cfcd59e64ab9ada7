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

/** KEYS[1] session · ARGV record, ttl, channel, announcement → 1 stored, 0 exists. */
export const CREATE_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/** KEYS[1] session · ARGV record, incarnation, version, ttl ('' keeps it), channel, announcement. */
export const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
local rec = cjson.decode(cur)
if ${incarnationOf("rec")} ~= tonumber(ARGV[2]) or rec.version ~= tonumber(ARGV[3]) then return 'conflict' end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 'committed'`;

/** KEYS[1] session · ARGV incarnation, channel, announcement → 1 deleted, 0 absent or another incarnation. */
export const DELETE_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local rec = cjson.decode(cur)
if ${incarnationOf("rec")} ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;
