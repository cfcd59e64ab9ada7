/** The Redis connections the server holds, from CLIENT LIST on the benchmark's dedicated Redis. */
import { Redis } from "ioredis";

export interface RedisClients {
  /** Connections named like the server's (RedisStore's connectionName, "realtime-svg" by default). */
  named: number;
  /** Every connection but this probe's own: all the server's, named or not. */
  others: number;
}

const PROBE_NAME = "rsvg-bench-probe";

export class RedisClientProbe {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly serverName = "realtime-svg",
  ) {
    this.redis = new Redis(url, { connectionName: PROBE_NAME, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  }

  async count(): Promise<RedisClients> {
    const list = String(await this.redis.call("CLIENT", "LIST"));
    const names = list
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "");
    return {
      named: names.filter((name) => name === this.serverName).length,
      others: names.filter((name) => name !== PROBE_NAME).length,
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
