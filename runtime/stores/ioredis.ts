/**
 * Redis over TCP (ioredis): the command transport of the Redis session store, and the broker.
 * Each process holds exactly two connections, opened eagerly: one for commands, one subscriber
 * shared by every channel. While Redis is unreachable every call fails fast (no offline queue);
 * both connections reconnect forever in the background, so the store recovers by itself.
 * The endpoint is one Redis, a Sentinel-named primary (ioredis follows a promotion), or a Cluster
 * (each of the two is then ioredis' Cluster client, with a connection per node it talks to, and
 * it follows MOVED/ASK; every script's keys share one slot, keys.ts).
 */
import type { ConnectionOptions } from "node:tls";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Broker, BrokerListener, SessionStore } from "../../handlers/index.js";
import { channelKey, channelOf, DEFAULT_PREFIX, validatePrefix } from "./keys.js";
import { AUTH_FAILURE, type RedisEventHandler } from "./redis-events.js";
import { RedisSessionStore, storeUnavailable, type RedisCommands } from "./redis-session-store.js";

export interface IoredisOptions {
  /** redis:// or rediss:// URL; when given, its host/port/password/db win over the fields below. */
  url?: string;
  host?: string;
  port?: number;
  password?: string;
  db?: number;
  /** Sentinel: the sentinels, and the name they monitor the primary under; `password` is the data nodes'. */
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  sentinelPassword?: string;
  /** Cluster: seed nodes; the client discovers the rest and follows MOVED/ASK. `password` is every node's. */
  clusterNodes?: { host: string; port: number }[];
  /** TLS to `host`, the sentinels and their data nodes, or the cluster nodes (a URL says rediss:// itself). */
  tls?: ConnectionOptions;
  /** Prefix of every key and channel (default "rsvg:"). */
  prefix?: string;
  /** A command without a reply after this long fails with StoreUnavailableError (default 2000). */
  commandTimeoutMs?: number;
  /** TCP connect timeout, and the bound of `connect()` (default 5000). */
  connectTimeoutMs?: number;
  /** CLIENT SETNAME of both connections, to find them in CLIENT LIST (default "realtime-svg"). */
  connectionName?: string;
  /** Connection lifecycle: lost, reconnected, authentication failed, resubscribe failed. */
  onEvent?: RedisEventHandler;
}

const noop = (): void => {};
const backoff = (attempts: number): number => Math.min(attempts * 100, 2000);

/** The session store and broker on one Redis; close both to release both connections. */
export function ioredisPorts(options: IoredisOptions = {}): { store: SessionStore; broker: IoredisBroker } {
  const prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const clientOptions: RedisOptions = {
    host: options.host,
    port: options.port,
    password: options.password,
    db: options.db,
    connectionName: options.connectionName ?? "realtime-svg",
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    // Fail fast while Redis is down instead of queueing requests that users wait on.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A write that timed out must not be replayed later behind the caller's back.
    autoResendUnfulfilledCommands: false,
    // The broker re-subscribes its own channel set on reconnect, so a channel whose UNSUBSCRIBE
    // was lost during an outage is not resurrected.
    autoResubscribe: false,
    retryStrategy: backoff,
  };
  const connect = (): Client => {
    if (options.url) return new Redis(options.url, clientOptions);
    if (options.clusterNodes) {
      // The cluster client owns the node connections' retries and queue (redisOptions omits both).
      const nodeOptions: Omit<RedisOptions, "retryStrategy" | "enableOfflineQueue"> = { ...clientOptions };
      delete (nodeOptions as RedisOptions).retryStrategy;
      delete (nodeOptions as RedisOptions).enableOfflineQueue;
      return new Cluster(options.clusterNodes, {
        redisOptions: { ...nodeOptions, ...(options.tls ? { tls: options.tls } : {}) },
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff,
      });
    }
    if (options.sentinels) {
      return new Redis({
        ...clientOptions,
        sentinels: options.sentinels,
        name: options.sentinelName,
        sentinelPassword: options.sentinelPassword,
        // Past the last sentinel, start over instead of giving up (ioredis' default gives up).
        sentinelRetryStrategy: backoff,
        ...(options.tls ? { tls: options.tls, enableTLSForSentinelMode: true, sentinelTLS: options.tls } : {}),
      });
    }
    return new Redis({ ...clientOptions, ...(options.tls ? { tls: options.tls } : {}) });
  };
  const onEvent = options.onEvent ?? noop;
  const address = addressOf(options);
  const cmd = connect();
  const sub = connect();
  watch(cmd, "command", address, onEvent);
  watch(sub, "subscriber", address, onEvent);
  const commands = new IoredisCommands(cmd, connectTimeoutMs);
  return {
    store: new RedisSessionStore(commands, { kind: "redis", prefix, legacyKeys: !options.clusterNodes }),
    broker: new IoredisBroker(sub, prefix, connectTimeoutMs, address, onEvent),
  };
}

/** One connection to a single Redis or a Sentinel-named primary, or a Cluster client (a pool per node). */
type Client = Redis | Cluster;

class IoredisCommands implements RedisCommands {
  constructor(
    private readonly client: Client,
    private readonly connectTimeoutMs: number,
  ) {}
  get(key: string) {
    return this.client.get(key);
  }
  evalsha(sha: string, keys: string[], args: string[]) {
    return this.client.evalsha(sha, keys.length, ...keys, ...args);
  }
  eval(script: string, keys: string[], args: string[]) {
    return this.client.eval(script, keys.length, ...keys, ...args);
  }
  ping() {
    return this.client.ping();
  }
  connect() {
    return waitReady(this.client, this.connectTimeoutMs);
  }
  close() {
    return quit(this.client);
  }
}

/**
 * One subscriber connection for every channel of the process. Subscribes and unsubscribes are
 * sent in call order on that one connection, so they never overtake each other.
 */
export class IoredisBroker implements Broker {
  private listener: BrokerListener | undefined;
  /** The channels Redis should send, each with its SUBSCRIBE's outcome. */
  private readonly channels = new Map<string, Promise<void>>();
  private wasReady = false;
  private closed = false;

  constructor(
    private readonly sub: Client,
    private readonly prefix: string,
    private readonly connectTimeoutMs: number,
    private readonly address: string,
    private readonly onEvent: RedisEventHandler,
  ) {
    sub.on("ready", () => this.onReady());
    sub.on("message", (key: string, payload: string) => {
      const channel = channelOf(this.prefix, key);
      if (channel !== null && this.channels.has(key)) this.listener?.message(channel, payload);
    });
  }

  listen(listener: BrokerListener): void {
    this.listener = listener;
  }

  /** Waits (bounded) until the subscriber connection is ready. */
  connect(): Promise<void> {
    return waitReady(this.sub, this.connectTimeoutMs);
  }

  subscribe(channel: string): Promise<void> {
    if (this.closed) return Promise.reject(storeUnavailable("redis SUBSCRIBE", new Error("the broker is closed")));
    const key = channelKey(this.prefix, channel);
    const existing = this.channels.get(key);
    if (existing) return existing;
    const subscribed = this.sub.subscribe(key).then(
      () => undefined,
      (error: unknown) => {
        // It may have reached Redis before failing; take it back so nothing leaks.
        if (this.channels.get(key) === subscribed) {
          this.channels.delete(key);
          this.sub.unsubscribe(key).catch(noop);
        }
        throw storeUnavailable("redis SUBSCRIBE", error);
      },
    );
    this.channels.set(key, subscribed);
    return subscribed;
  }

  async unsubscribe(channel: string): Promise<void> {
    const key = channelKey(this.prefix, channel);
    if (!this.channels.delete(key)) return;
    // Best effort: if Redis is unreachable the subscription dies with the connection, and the
    // reconnect only re-subscribes channels still wanted.
    await this.sub.unsubscribe(key).catch(noop);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    await quit(this.sub);
  }

  /** Every 'ready' after the first is a reconnect: the new connection has no subscriptions and
   *  announcements made meanwhile are lost, so subscribe again, then have everything re-read. */
  private onReady(): void {
    if (!this.wasReady) {
      this.wasReady = true;
      return;
    }
    const keys = [...this.channels.keys()];
    if (keys.length === 0 || this.closed) return;
    this.sub.subscribe(...keys).then(
      () => this.listener?.resync(),
      (error: unknown) => {
        this.onEvent({ type: "resubscribe_failed", connection: "subscriber", address: this.address, reason: asError(error).message });
        // Listeners would silently stop receiving: reconnect and try again on the next ready.
        if (!this.closed) this.sub.disconnect(true);
      },
    );
  }
}

/** Where the events say the connection goes: the host, the sentinel set, or the cluster's seeds. */
function addressOf(options: IoredisOptions): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  if (options.url) {
    const url = new URL(options.url);
    return `${url.hostname}:${url.port || 6379}`;
  }
  if (options.clusterNodes) return `cluster ${list(options.clusterNodes)}`;
  if (options.sentinels) return `sentinel ${options.sentinelName ?? ""}@${list(options.sentinels)}`;
  return `${options.host ?? "localhost"}:${options.port ?? 6379}`;
}
const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * ioredis emits 'error' on every failed reconnect attempt; without a listener it would print
 * "Unhandled error event" each time. Each outage is told once: lost (or never reached), then
 * reconnected; wrong credentials are told as such, once until the next success.
 */
function watch(client: Client, connection: "command" | "subscriber", address: string, onEvent: RedisEventHandler): void {
  let lost = false;
  let authReported = false;
  const loseWith = (error?: Error) => {
    if (lost || closing.has(client)) return;
    lost = true;
    onEvent({ type: "lost", connection, address, ...(error ? { reason: error.message } : {}) });
  };
  client.on("error", (error: Error) => {
    if (closing.has(client)) return;
    if (AUTH_FAILURE.test(error.message)) {
      if (!authReported) onEvent({ type: "auth_failed", connection, address, reason: error.message });
      authReported = true;
      return;
    }
    loseWith(error);
  });
  client.on("close", () => loseWith());
  client.on("ready", () => {
    if (lost) onEvent({ type: "reconnected", connection, address });
    lost = false;
    authReported = false;
  });
}

/** Connections this process is closing: their end is not an outage. */
const closing = new WeakSet<Client>();

function waitReady(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(storeUnavailable("redis connect", new Error(`not ready after ${timeoutMs} ms`)));
    }, timeoutMs);
    client.once("ready", onReady);
  });
}

/** QUIT lets pending replies arrive; it cannot be sent while disconnected (no offline queue) and
 *  may hang on a dead socket, so fall back to a hard disconnect. */
async function quit(client: Client): Promise<void> {
  closing.add(client);
  if (client.status === "ready") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.quit().catch(noop),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }
  client.disconnect();
}
