/**
 * The broker on a Redis Cluster: sharded pub/sub (Redis 7). A session's channel carries its id as
 * hash tag (keys.ts shardChannelKey), so it lives in the slot of the session's keys; the commit
 * script SPUBLISHes it on the primary that owns that slot, and this broker SSUBSCRIBEs it there.
 *
 * One subscriber connection per primary that owns a subscribed channel's slot, opened when its
 * first channel arrives and kept while that node is a primary: a process holds at most as many
 * subscriber connections as the cluster has shards, whatever its sessions and viewers.
 *
 * Where a channel lives comes from the command client's slot table, which ioredis keeps current
 * (on MOVED replies, every slotsRefreshInterval, and on request). A channel is placed again on
 * its slot's owner, then resynced (the hub re-reads its record, so nothing published meanwhile is
 * missed), when:
 *  - its shard connection dropped and came back (a restart, a network cut);
 *  - its slot now has another owner (a failover promoted the replica, a reshard moved the slot):
 *    found at the next refresh of the slot table, which this broker asks for every
 *    REHOME_INTERVAL_MS while any channel has no working shard;
 *  - Redis ended the subscription itself (an unsolicited SUNSUBSCRIBE when the slot migrates,
 *    which ioredis reports as 'moved' on that connection).
 */
import { Redis, type Cluster, type RedisOptions } from "ioredis";
import type { Broker, BrokerListener } from "../../handlers/index.js";
import { asError, backoff, noop, quit, subscribeOnce, waitReady, watch } from "./ioredis-connection.js";
import { keySlot, shardChannelKey, shardChannelOf } from "./keys.js";
import type { RedisEventHandler } from "./redis-events.js";
import { storeUnavailable } from "./redis-session-store.js";

/** How often the slot table is refreshed while a channel waits for a working shard. */
export const REHOME_INTERVAL_MS = 250;

/** A channel's subscribe attempts, per placement, before the caller is told it failed. */
const ATTEMPTS = 3;

interface Shard {
  readonly node: string;
  readonly conn: Redis;
  /** Channels subscribed here, or being subscribed. */
  readonly channels: Set<string>;
  /** It was ready once: a later 'ready' is a reconnect, whose connection has no subscriptions. */
  wasReady: boolean;
}

export class ShardedBroker implements Broker {
  private listener: BrokerListener | undefined;
  /** Every channel key wanted, with its first SSUBSCRIBE's outcome. */
  private readonly wanted = new Map<string, Promise<void>>();
  /** The shard each wanted channel is subscribed on (or being subscribed on). */
  private readonly home = new Map<string, Shard>();
  private readonly shards = new Map<string, Shard>();
  /** Channels that lost their subscription and wait to be placed again. */
  private readonly homeless = new Set<string>();
  private rehomeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Shards whose resubscribe failure was told, until one succeeds there: each is told once. */
  private readonly failing = new Set<string>();
  private rehoming = false;
  private rehomeAgain = false;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    /** The options of a node connection (credentials, TLS, timeouts, name), without host and port. */
    private readonly nodeOptions: RedisOptions,
    private readonly prefix: string,
    private readonly connectTimeoutMs: number,
    private readonly onEvent: RedisEventHandler,
  ) {
    cluster.on("refresh", () => this.reconcile());
  }

  listen(listener: BrokerListener): void {
    this.listener = listener;
  }

  /** Waits (bounded) until the cluster's slot table is known. */
  connect(): Promise<void> {
    return waitReady(this.cluster, this.connectTimeoutMs);
  }

  /** Subscriber connections open now: at most one per primary. */
  get connectionCount(): number {
    return this.shards.size;
  }

  subscribe(channel: string): Promise<void> {
    if (this.closed) return Promise.reject(storeUnavailable("redis SSUBSCRIBE", new Error("the broker is closed")));
    const key = shardChannelKey(this.prefix, channel);
    return subscribeOnce(this.wanted, key, "SSUBSCRIBE", () => this.place(key), () => void this.leave(key));
  }

  async unsubscribe(channel: string): Promise<void> {
    const key = shardChannelKey(this.prefix, channel);
    if (!this.wanted.delete(key)) return;
    this.homeless.delete(key);
    // Best effort, as on one Redis: a lost SUNSUBSCRIBE dies with its connection, and a
    // reconnect only subscribes channels still wanted.
    await this.leave(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.rehomeTimer);
    this.wanted.clear();
    this.home.clear();
    this.homeless.clear();
    const shards = [...this.shards.values()];
    this.shards.clear();
    await Promise.all(shards.map((shard) => quit(shard.conn)));
  }

  /** The primary serving the key's slot now, as `host:port`, or undefined before the table is known. */
  private ownerOf(key: string): string | undefined {
    return this.cluster.slots[keySlot(key)]?.[0];
  }

  /** Subscribes the key on its slot's owner; a MOVED or a dead owner refreshes the table and tries again. */
  private async place(key: string): Promise<void> {
    let lastError: unknown = new Error("the cluster's slot table is not known yet");
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (this.closed) throw new Error("the broker is closed");
      if (!this.wanted.has(key) && attempt > 0) return;
      if (attempt > 0) await this.refreshSlots();
      else if (this.cluster.status !== "ready") await waitReady(this.cluster, this.connectTimeoutMs);
      const node = this.ownerOf(key);
      if (node === undefined) continue;
      const shard = this.shardOn(node);
      this.moveHome(key, shard);
      try {
        await waitReady(shard.conn, this.connectTimeoutMs);
        await shard.conn.ssubscribe(key);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Records the key as living on the shard, taking it off the one it lived on. */
  private moveHome(key: string, shard: Shard): void {
    const previous = this.home.get(key);
    if (previous === shard) return;
    if (previous) {
      previous.channels.delete(key);
      if (previous.conn.status === "ready") previous.conn.sunsubscribe(key).catch(noop);
    }
    this.home.set(key, shard);
    shard.channels.add(key);
  }

  /** Forgets the key's subscription; the shard's connection stays while its node is a primary. */
  private async leave(key: string): Promise<void> {
    const shard = this.home.get(key);
    this.home.delete(key);
    if (!shard) return;
    shard.channels.delete(key);
    if (shard.conn.status === "ready") await shard.conn.sunsubscribe(key).catch(noop);
  }

  private shardOn(node: string): Shard {
    const existing = this.shards.get(node);
    if (existing) return existing;
    const [host, port] = splitNode(node);
    const conn = new Redis({
      ...this.nodeOptions,
      host,
      port,
      // This broker places its channels again itself, on whichever node owns them then.
      autoResubscribe: false,
      enableOfflineQueue: false,
      retryStrategy: backoff,
    });
    const shard: Shard = { node, conn, channels: new Set(), wasReady: false };
    this.shards.set(node, shard);
    watch(conn, "subscriber", node, this.onEvent);
    conn.on("smessage", (key: string, payload: string) => {
      if (this.home.get(key) !== shard) return;
      const channel = shardChannelOf(this.prefix, key);
      if (channel !== null) this.listener?.message(channel, payload);
    });
    conn.on("ready", () => {
      if (!shard.wasReady) {
        shard.wasReady = true;
        return;
      }
      // Reconnected: this connection subscribes to nothing.
      this.lose(shard);
    });
    conn.on("close", () => {
      if (shard.channels.size > 0) this.scheduleRehome();
    });
    // Redis ended subscriptions itself (a slot migrated away): read the slot table again, and
    // the channels whose slot has a new owner move there (reconcile).
    conn.on("moved", () => {
      for (const key of shard.channels) this.homeless.add(key);
      void this.refreshSlots().then(() => this.scheduleRehome(0));
    });
    return shard;
  }

  /** Every channel of the shard needs placing again (the connection came back without them, or Redis dropped them). */
  private lose(shard: Shard): void {
    if (this.closed) return;
    for (const key of shard.channels) this.homeless.add(key);
    this.scheduleRehome(0);
  }

  /** After each refresh of the slot table: channels whose slot has a new owner move there. */
  private reconcile(): void {
    if (this.closed) return;
    let moved = false;
    for (const [key, shard] of this.home) {
      const owner = this.ownerOf(key);
      if (owner === undefined || owner === shard.node) continue;
      this.homeless.add(key);
      moved = true;
    }
    // A node that owns no slot any more (a failed primary, a replica now) needs no connection.
    const owners = new Set(this.cluster.slots.map((nodes) => nodes?.[0]));
    for (const [node, shard] of this.shards) {
      if (owners.has(node)) continue;
      for (const key of shard.channels) this.homeless.add(key);
      moved ||= shard.channels.size > 0;
      shard.channels.clear();
      this.shards.delete(node);
      void quit(shard.conn);
    }
    // Channels still waiting for an unreachable owner are retried on the interval, not here:
    // the refresh this broker asked for would otherwise start the next one at once.
    if (moved) this.scheduleRehome(0);
  }

  private scheduleRehome(delayMs = REHOME_INTERVAL_MS): void {
    if (this.closed) return;
    if (this.rehomeTimer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.rehomeTimer);
    }
    this.rehomeTimer = setTimeout(() => {
      this.rehomeTimer = undefined;
      void this.rehome();
    }, delayMs);
  }

  /**
   * Places every homeless channel on its owner, and resyncs it once it is subscribed there. A
   * channel whose owner is unreachable (a primary that died, before the cluster promoted its
   * replica) stays homeless; the slot table is refreshed and the placement tried again every
   * REHOME_INTERVAL_MS until it succeeds.
   */
  private async rehome(): Promise<void> {
    if (this.rehoming) {
      this.rehomeAgain = true;
      return;
    }
    this.rehoming = true;
    try {
      await this.rehomeOnce();
    } finally {
      this.rehoming = false;
      if (this.rehomeAgain) {
        this.rehomeAgain = false;
        this.scheduleRehome(0);
      }
    }
  }

  private async rehomeOnce(): Promise<void> {
    // A shard whose connection is down keeps its channels homeless until the table names
    // another owner or the connection returns.
    for (const [key, shard] of this.home) {
      if (shard.conn.status !== "ready" && this.wanted.has(key)) this.homeless.add(key);
    }
    const keys = [...this.homeless].filter((key) => this.wanted.has(key));
    this.homeless.clear();
    if (keys.length === 0 || this.closed) return;
    // One SSUBSCRIBE per slot: Redis refuses one naming channels of several slots (CROSSSLOT).
    const bySlot = new Map<string, { shard: Shard; keys: string[] }>();
    const waiting: string[] = [];
    for (const key of keys) {
      const node = this.ownerOf(key);
      const shard = node === undefined ? undefined : this.shardOn(node);
      if (!shard || shard.conn.status !== "ready") {
        if (shard) this.moveHome(key, shard);
        waiting.push(key);
        continue;
      }
      this.moveHome(key, shard);
      const group = `${shard.node}/${keySlot(key)}`;
      const found = bySlot.get(group);
      if (found) found.keys.push(key);
      else bySlot.set(group, { shard, keys: [key] });
    }
    await Promise.all(
      [...bySlot.values()].map(async ({ shard, keys: shardKeys }) => {
        try {
          await shard.conn.ssubscribe(...shardKeys);
        } catch (error) {
          // MOVED: the slot table was behind; the refresh below finds the owner. Anything else is told.
          const reason = asError(error).message;
          if (!reason.startsWith("MOVED") && !this.failing.has(shard.node)) {
            this.failing.add(shard.node);
            this.onEvent({ type: "resubscribe_failed", connection: "subscriber", address: shard.node, reason });
          }
          waiting.push(...shardKeys);
          return;
        }
        this.failing.delete(shard.node);
        for (const key of shardKeys) {
          const channel = shardChannelOf(this.prefix, key);
          if (channel !== null && this.wanted.has(key)) this.listener?.resync(channel);
          // Unsubscribed while this SSUBSCRIBE was on its way: take it back.
          else if (this.home.get(key) !== shard) shard.conn.sunsubscribe(key).catch(noop);
        }
      }),
    );
    if (this.closed) return;
    for (const key of waiting) this.homeless.add(key);
    if (this.homeless.size > 0) {
      await this.refreshSlots();
      this.scheduleRehome();
    }
  }

  /** Asks the cluster client to read the slot table again; resolves when it has (or failed to). */
  private refreshSlots(): Promise<void> {
    return new Promise((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
  }
}

function splitNode(node: string): [string, number] {
  const at = node.lastIndexOf(":");
  return [node.slice(0, at), Number(node.slice(at + 1))];
}
