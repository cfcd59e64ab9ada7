/**
 * Redis over TCP (ioredis): the command transport of the Redis session store, and the broker.
 * Each process holds exactly two connections, opened eagerly: one for commands, one subscriber
 * shared by every channel. While Redis is unreachable every call fails fast (no offline queue);
 * both connections reconnect forever in the background, so the store recovers by itself.
 * The endpoint is one Redis, a Sentinel-named primary (ioredis follows a promotion), or a Cluster:
 * commands then go through ioredis' Cluster client (a connection per node it talks to; it follows
 * MOVED/ASK; every script's keys share one slot, keys.ts), and pub/sub is sharded, with one
 * subscriber connection per primary that serves a subscribed channel (sharded-broker.ts).
 * With REDIS_WAIT_REPLICAS, each script is followed by WAIT in the same round trip.
 */
import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Broker, BrokerListener, SessionStore } from "../../handlers/index.js";
import { channelKey, channelOf, DEFAULT_PREFIX, validatePrefix } from "./keys.js";
import { holdUntilTurnEnd } from "../node/turn-end.js";
import { asError, backoff, noop, quit, subscribeOnce, waitReady, watch, type Client } from "./ioredis-connection.js";
import type { RedisEventHandler } from "./redis-events.js";
import { RedisSessionStore, storeUnavailable, type RedisCommands } from "./redis-session-store.js";
import { ShardedBroker } from "./sharded-broker.js";

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
  /** Answer a write only once this many replicas have it (WAIT after each script); absent or 0: the primary only. */
  waitReplicas?: { replicas: number; timeoutMs: number };
  /** Connection lifecycle: lost, reconnected, authentication failed, resubscribe failed. */
  onEvent?: RedisEventHandler;
}

/** The session store and broker on one Redis; close both to release both connections. */
export function ioredisPorts(options: IoredisOptions = {}): { store: SessionStore; broker: IoredisBroker | ShardedBroker } {
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
    // rediss:// alone turns TLS on with the system's CAs; REDIS_CA_FILE's CA must be passed too.
    if (options.url) return new Redis(options.url, { ...clientOptions, ...(options.tls ? { tls: options.tls } : {}) });
    if (options.clusterNodes) {
      // The cluster client owns the node connections' retries and queue (redisOptions omits both).
      const nodeOptions: Omit<RedisOptions, "retryStrategy" | "enableOfflineQueue"> = { ...clientOptions };
      delete (nodeOptions as RedisOptions).retryStrategy;
      delete (nodeOptions as RedisOptions).enableOfflineQueue;
      return new Cluster(options.clusterNodes, {
        redisOptions: { ...nodeOptions, ...(options.tls ? { tls: options.tls } : {}) },
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff,
        // Fail fast, as on one Redis: a command whose connection closed, or sent while the
        // cluster is down, is answered 503 instead of being held and re-sent behind the caller's
        // back (it may have run). MOVED and ASK are still followed: those never ran.
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 0,
        // The slot table is also re-read after every failed command (IoredisCommands) and by
        // the broker while a channel has no shard; this is the backstop.
        slotsRefreshInterval: 5000,
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
  watch(cmd, "command", address, onEvent);
  const commands = new IoredisCommands(cmd, connectTimeoutMs);
  const waitReplicas = options.waitReplicas ? { waitReplicas: options.waitReplicas } : {};
  if (cmd instanceof Cluster) {
    // Sharded pub/sub: the broker subscribes on each channel's shard (one connection per
    // primary), finding the shards through the command client's slot table.
    const nodeOptions: RedisOptions = { ...clientOptions, ...(options.tls ? { tls: options.tls } : {}) };
    return {
      store: new RedisSessionStore(commands, { kind: "redis", prefix, legacyKeys: false, pubsub: "sharded", ...waitReplicas }),
      broker: new ShardedBroker(cmd, nodeOptions, prefix, connectTimeoutMs, onEvent),
    };
  }
  const sub = connect();
  watch(sub, "subscriber", address, onEvent);
  return {
    store: new RedisSessionStore(commands, { kind: "redis", prefix, ...waitReplicas }),
    broker: new IoredisBroker(sub, prefix, connectTimeoutMs, address, onEvent),
  };
}

class IoredisCommands implements RedisCommands {
  constructor(
    private readonly client: Client,
    private readonly connectTimeoutMs: number,
  ) {}
  get(key: string) {
    this.gather();
    return this.afterFailure(this.client.get(key));
  }
  evalsha(sha: string, keys: string[], args: string[]) {
    this.gather();
    return this.afterFailure(this.client.evalsha(sha, keys.length, ...keys, ...args));
  }
  eval(script: string, keys: string[], args: string[]) {
    this.gather();
    return this.afterFailure(this.client.eval(script, keys.length, ...keys, ...args));
  }
  /**
   * Commands sent in one turn of the event loop leave in one write: ioredis writes each command
   * to the socket as it is sent, a system call and a wake-up of Redis per write, and a busy
   * replica starts many writes per turn (one per request its poll returned). The command
   * connection is corked at the first command of a turn and uncorked at the turn's end, with
   * the Node host's answers (runtime/node/turn-end.ts), which sends what the turn wrote as one
   * writev. Not on a Cluster: its commands go to a connection per node, chosen inside ioredis.
   */
  private gather(): void {
    if (this.client instanceof Cluster) return;
    const stream = (this.client as unknown as { stream?: Partial<Socket> }).stream;
    if (stream?.writable && typeof stream.writableCorked === "number") holdUntilTurnEnd(stream as Socket);
  }
  /** On a Cluster, a failed command may mean its node failed over: re-read the slot table (ioredis
   *  runs one refresh at a time), so the next command goes to the promoted replica. */
  private afterFailure<T>(pending: Promise<T>): Promise<T> {
    const client = this.client;
    if (!(client instanceof Cluster)) return pending;
    return pending.catch((error: unknown) => {
      if (client.status === "ready") client.refreshSlotsCache();
      throw error;
    });
  }
  /** The script, then WAIT, sent together: one round trip, and on a Cluster both go to the
   *  node of the script's keys (a pipeline is routed by its keys; WAIT has none). */
  async scriptThenWait(command: "evalsha" | "eval", script: string, keys: string[], args: string[], replicas: number, timeoutMs: number) {
    const results = await this.afterFailure(
      (command === "evalsha" ? this.client.pipeline().evalsha(script, keys.length, ...keys, ...args) : this.client.pipeline().eval(script, keys.length, ...keys, ...args))
        .wait(replicas, timeoutMs)
        .exec(),
    );
    const [scripted, waited] = results ?? [];
    if (!scripted || !waited) throw new Error("the pipeline returned no replies");
    if (scripted[0]) throw scripted[0];
    if (waited[0]) throw waited[0];
    return { reply: scripted[1], replicas: Number(waited[1]) };
  }
  ping() {
    return this.client.ping();
  }
  /** On a Cluster: ready, and so is the connection to each primary (a command to a node whose
   *  connection is still opening fails fast, like any other, since nothing is queued). */
  async connect() {
    await waitReady(this.client, this.connectTimeoutMs);
    if (this.client instanceof Cluster) {
      // The cluster client opens node connections lazily, at their first command.
      await Promise.all(
        this.client.nodes("master").map((node) => {
          if (node.status === "wait") node.connect().catch(noop);
          return waitReady(node, this.connectTimeoutMs);
        }),
      );
    }
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
    return subscribeOnce(
      this.channels,
      key,
      "SUBSCRIBE",
      () => this.sub.subscribe(key),
      () => this.sub.unsubscribe(key).catch(noop),
    );
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

