import type { Store } from "../../handlers/ports/session-store.js";
import { MemoryStore } from "../stores/memory.js";
import { RedisStore } from "../stores/redis.js";
import type { Config } from "../config.js";

/** No Redis configured: the embedded memory store (one process only). */
export function storeFromConfig(config: Config): Store {
  if (config.redisUrl) return new RedisStore({ url: config.redisUrl, prefix: config.keyPrefix });
  if (config.redisHost) {
    return new RedisStore({
      host: config.redisHost,
      port: config.redisPort,
      password: config.redisPassword,
      prefix: config.keyPrefix,
    });
  }
  return new MemoryStore();
}
