import type { Logger } from "pino";
import type { Ports } from "../../handlers/index.js";
import type { Config } from "../config.js";
import { ioredisPorts } from "../stores/ioredis.js";
import { memoryPorts } from "../stores/memory.js";
import type { RedisEvent } from "../stores/redis-events.js";

/** Each connection event once, at a level that says whether someone must act. */
function logRedisEvent(log: Logger, event: RedisEvent): void {
  const fields = { connection: event.connection, address: event.address, reason: event.reason };
  switch (event.type) {
    case "lost":
      return log.warn(fields, "redis connection lost; reconnecting");
    case "reconnected":
      return log.info(fields, "redis connection re-established");
    case "auth_failed":
      return log.error(fields, "redis authentication failed; check REDIS_PASSWORD or the URL's credentials");
    case "resubscribe_failed":
      return log.error(fields, "redis resubscribe failed; reconnecting to try again");
  }
}

/** Redis when one is configured, else the embedded memory store (one process only). */
export function portsFromConfig(config: Config, log: Logger): Ports {
  const onEvent = (event: RedisEvent) => logRedisEvent(log, event);
  if (config.redisUrl) return ioredisPorts({ url: config.redisUrl, prefix: config.keyPrefix, onEvent });
  if (config.redisHost) {
    return ioredisPorts({
      host: config.redisHost,
      port: config.redisPort,
      password: config.redisPassword,
      prefix: config.keyPrefix,
      onEvent,
    });
  }
  return memoryPorts({ maxBytes: config.memoryMaxBytes, maxSessions: config.memoryMaxSessions });
}
