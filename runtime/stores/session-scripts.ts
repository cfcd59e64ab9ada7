/**
 * The session scripts every Redis-backed store runs (ioredis over TCP, @upstash/redis over HTTP),
 * with the exact KEYS/ARGV each one expects. Kept in one place so Node replicas and edge
 * deployments sharing a Redis write records the same way and cannot drift apart.
 * Portable: no Node module here (the edge bundle includes it).
 */
import type { SessionRecord, UpdateOptions, UpdateResult } from "../../handlers/ports/session-store.js";
import { ownerKey, sessionKey } from "./keys.js";

/** Stored only if absent; the owner set lives as long as its longest-lived session. */
export const CREATE_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
end
return 1`;

/** Compare-and-set on the record's version; keeps the TTL unless a new one is given, and keeps
 *  the owner index right even if the owner changed. ARGV[5] is the owner-key prefix. */
export const UPDATE_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
local rec = cjson.decode(cur)
if rec.version ~= tonumber(ARGV[2]) then return 'conflict' end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
if type(rec.owner) == 'string' and ARGV[5] .. rec.owner ~= KEYS[2] then
  redis.call('SREM', ARGV[5] .. rec.owner, ARGV[4])
end
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[4])
  local ttl = redis.call('TTL', KEYS[1])
  if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
end
return 'updated'`;

/** Delete and drop the id from its owner's set in one step. ARGV[1] is the owner-key prefix. */
export const DELETE_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
redis.call('DEL', KEYS[1])
local ok, rec = pcall(cjson.decode, cur)
if ok and type(rec) == 'table' and type(rec.owner) == 'string' then
  redis.call('SREM', ARGV[1] .. rec.owner, ARGV[2])
end
return 1`;

/** One script invocation: the arguments of EVAL/EVALSHA after the script. */
export interface ScriptCall {
  keys: string[];
  args: string[];
}

function recordKeys(prefix: string, record: SessionRecord): string[] {
  const keys = [sessionKey(prefix, record.id)];
  if (record.owner !== undefined) keys.push(ownerKey(prefix, record.owner));
  return keys;
}

export function createCall(prefix: string, record: SessionRecord, ttlSeconds: number): ScriptCall {
  return { keys: recordKeys(prefix, record), args: [JSON.stringify(record), String(ttlSeconds), record.id] };
}

export function updateCall(prefix: string, record: SessionRecord, options: UpdateOptions): ScriptCall {
  return {
    keys: recordKeys(prefix, record),
    args: [
      JSON.stringify(record),
      String(options.expectVersion),
      options.ttlSeconds === undefined ? "" : String(options.ttlSeconds),
      record.id,
      ownerKey(prefix, ""),
    ],
  };
}

export function deleteCall(prefix: string, id: string): ScriptCall {
  return { keys: [sessionKey(prefix, id)], args: [ownerKey(prefix, ""), id] };
}

/** The update script's reply, or null when it is not one of its three answers. */
export function updateResult(reply: unknown): UpdateResult | null {
  return reply === "updated" || reply === "missing" || reply === "conflict" ? reply : null;
}
