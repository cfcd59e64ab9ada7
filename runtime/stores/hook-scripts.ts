/**
 * The scripts of the Redis hook store. Each takes exactly one key (KEYS[1]): a hook, a session's
 * index of hooks, a delivery id's replay mark or a hook's delivery log, never two of them and never
 * a session key, so every one stays within a single Redis Cluster slot.
 */

/** KEYS[1] hook · ARGV json, ttl ('' none). */
export const HOOK_PUT_LUA = `
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1`;

/** KEYS[1] hook · ARGV json → 1 replaced (its TTL kept), 0 absent. */
export const HOOK_REPLACE_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'XX', 'KEEPTTL') then return 1 end
return 0`;

/** KEYS[1] any key · ARGV ttl ('' none): moves the key's expiry when it exists. */
export const EXPIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return 1`;

/** KEYS[1] any key. */
export const DEL_LUA = `return redis.call('DEL', KEYS[1])`;

/**
 * KEYS[1] index · ARGV hook id, max, ttl ('' none) → 1 added, 0 full. The index lives at least as
 * long as the hook added: a longer TTL is kept, none replaces any.
 */
export const INDEX_ADD_LUA = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[3] == '' then
  redis.call('PERSIST', KEYS[1])
else
  local ttl = redis.call('TTL', KEYS[1])
  if ttl >= 0 and ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return 1`;

/** KEYS[1] index. */
export const INDEX_MEMBERS_LUA = `return redis.call('SMEMBERS', KEYS[1])`;

/** KEYS[1] index · ARGV hook ids. */
export const INDEX_REMOVE_LUA = `return redis.call('SREM', KEYS[1], unpack(ARGV))`;

/** KEYS[1] replay mark · ARGV pending seconds → 'claimed', 'duplicate' (applied before) or 'pending' (being applied). */
export const CLAIM_LUA = `
local seen = redis.call('GET', KEYS[1])
if seen == 'applied' then return 'duplicate' end
if seen then return 'pending' end
redis.call('SET', KEYS[1], 'pending', 'EX', ARGV[1])
return 'claimed'`;

/** KEYS[1] replay mark · ARGV '1' applied / '0' failed, ttl. A failed attempt removes only its own pending mark. */
export const SETTLE_LUA = `
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], 'applied', 'EX', ARGV[2])
elseif redis.call('GET', KEYS[1]) == 'pending' then
  redis.call('DEL', KEYS[1])
end
return 1`;

/** KEYS[1] log · ARGV entry, keep, ttl. */
export const LOG_LUA = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** KEYS[1] log. */
export const LOG_READ_LUA = `return redis.call('LRANGE', KEYS[1], 0, -1)`;
