import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "pino";
import type { Ports } from "../../handlers/index.js";
import { ConfigError, type Config } from "../config.js";
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
      return log.error(fields, "redis resubscribe failed; trying again");
  }
}

/** TLS as the settings ask: REDIS_TLS for address lists, rediss:// for a URL; REDIS_CA_FILE read once at start. */
function tlsFromConfig(config: Config): ConnectionOptions | undefined {
  let ca: Buffer | undefined;
  try {
    ca = config.redisCaFile === undefined ? undefined : readFileSync(config.redisCaFile);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`invalid REDIS_CA_FILE=${JSON.stringify(config.redisCaFile)}: cannot read it (${reason})`);
  }
  if (config.redisTls) return ca ? { ca } : {};
  return ca ? { ca } : undefined;
}

/** Redis when one is configured (one endpoint, a Sentinel set or a Cluster), else the embedded
 *  memory store (one process only). loadConfig has refused every mixed combination; an unreadable
 *  REDIS_CA_FILE throws ConfigError. */
export function portsFromConfig(config: Config, log: Logger): Ports {
  const onEvent = (event: RedisEvent) => logRedisEvent(log, event);
  const tls = tlsFromConfig(config);
  const waitReplicas = config.redisWaitReplicas > 0 ? { waitReplicas: { replicas: config.redisWaitReplicas, timeoutMs: config.redisWaitTimeoutMs } } : {};
  const common = { prefix: config.keyPrefix, onEvent, ...(tls ? { tls } : {}), ...waitReplicas };
  if (config.redisUrl) return ioredisPorts({ url: config.redisUrl, ...common });
  if (config.redisSentinels) {
    return ioredisPorts({
      sentinels: config.redisSentinels,
      sentinelName: config.redisSentinelMaster,
      sentinelPassword: config.redisSentinelPassword,
      password: config.redisPassword,
      ...common,
    });
  }
  if (config.redisClusterNodes) {
    return ioredisPorts({ clusterNodes: config.redisClusterNodes, password: config.redisPassword, ...common });
  }
  if (config.redisHost) {
    return ioredisPorts({
      host: config.redisHost,
      port: config.redisPort,
      password: config.redisPassword,
      ...common,
    });
  }
  return memoryPorts({ maxBytes: config.memoryMaxBytes, maxSessions: config.memoryMaxSessions });
}
