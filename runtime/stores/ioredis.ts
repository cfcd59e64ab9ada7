/**
 * Redis over TCP (ioredis): the command transport of the Redis session store, and the broker.
 * Each process holds exactly two connections, opened eagerly: one for commands, one subscriber
 * shared by every channel. While Redis is unreachable every call fails fast (no offline queue);
 * both connections reconnect forever in the background, so the store recovers by itself.
 */
import { Redis, type RedisOptions } from "ioredis";
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
    retryStrategy: (attempts) => Math.min(attempts * 100, 2000),
  };
  const connect = () => (options.url ? new Redis(options.url, clientOptions) : new Redis(clientOptions));
  const onEvent = options.onEvent ?? noop;
  const cmd = connect();
  const sub = connect();
  watch(cmd, "command", onEvent);
  watch(sub, "subscriber", onEvent);
  const commands = new IoredisCommands(cmd, connectTimeoutMs);
  return {
    store: new RedisSessionStore(commands, { kind: "redis", prefix }),
    broker: new IoredisBroker(sub, prefix, connectTimeoutMs, onEvent),
  };
}

class IoredisCommands implements RedisCommands {
  constructor(
    private readonly client: Redis,
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
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly connectTimeoutMs: number,
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
        this.onEvent({ type: "resubscribe_failed", connection: "subscriber", address: addressOf(this.sub), reason: asError(error).message });
        // Listeners would silently stop receiving: reconnect and try again on the next ready.
        if (!this.closed) this.sub.disconnect(true);
      },
    );
  }
}

const addressOf = (client: Redis) => `${client.options.host ?? "localhost"}:${client.options.port ?? 6379}`;
const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * ioredis emits 'error' on every failed reconnect attempt; without a listener it would print
 * "Unhandled error event" each time. Each outage is told once: lost (or never reached), then
 * reconnected; wrong credentials are told as such, once until the next success.
 */
function watch(client: Redis, connection: "command" | "subscriber", onEvent: RedisEventHandler): void {
  let lost = false;
  let authReported = false;
  const address = addressOf(client);
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
const closing = new WeakSet<Redis>();

function waitReady(client: Redis, timeoutMs: number): Promise<void> {
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
async function quit(client: Redis): Promise<void> {
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
