import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import {
  StoreUnavailableError,
  type SessionRecord,
  type Store,
  type SubscribeHandlers,
  type Unsubscribe,
  type UpdateOptions,
  type UpdateResult,
} from "../../handlers/ports/session-store.js";
import { KeyedQueue } from "../../handlers/sessions/write-queue.js";
import {
  DEFAULT_PREFIX,
  assertPayload,
  assertTtlSeconds,
  channelKey,
  ownerKey,
  sessionKey,
  validatePrefix,
} from "./keys.js";
import {
  CREATE_LUA,
  DELETE_LUA,
  UPDATE_LUA,
  createCall,
  deleteCall,
  updateCall,
  updateResult,
  type ScriptCall,
} from "./session-scripts.js";

export interface RedisStoreOptions {
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
  /**
   * Told about connection trouble (once per outage per connection, not per retry) and about
   * listeners that throw. The store itself never throws these anywhere.
   */
  onError?: (error: Error, source: "command" | "subscriber" | "listener") => void;
}

type ErrorSource = Parameters<NonNullable<RedisStoreOptions["onError"]>>[1];

interface Registration {
  handlers: SubscribeHandlers;
  active: boolean;
}

interface Script {
  lua: string;
  sha: string;
}
const script = (lua: string): Script => ({
  lua,
  sha: createHash("sha1").update(lua).digest("hex"),
});
const SCRIPTS = { create: script(CREATE_LUA), update: script(UPDATE_LUA), del: script(DELETE_LUA) };

const noop = (): void => {};

/**
 * Store on one Redis over TCP (ioredis). Each instance holds exactly two connections, both opened
 * eagerly in the constructor: one for commands and one subscriber shared by all channels.
 * While Redis is unreachable every call fails fast with StoreUnavailableError (no offline queue);
 * both connections reconnect forever in the background, so the store recovers by itself.
 */
export class RedisStore implements Store {
  readonly kind = "redis";
  private readonly prefix: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly connectTimeoutMs: number;
  private readonly onError: NonNullable<RedisStoreOptions["onError"]>;
  /** Registrations per full channel key; its keys are exactly the channels Redis should send. */
  private readonly channels = new Map<string, Set<Registration>>();
  /** Pending SUBSCRIBE/UNSUBSCRIBE work per channel, run in order so it never interleaves. */
  private readonly chains = new KeyedQueue();
  private subWasReady = false;
  private closed = false;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.onError = options.onError ?? noop;
    const clientOptions: RedisOptions = {
      host: options.host,
      port: options.port,
      password: options.password,
      db: options.db,
      connectionName: options.connectionName ?? "realtime-svg",
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      // Fail fast while Redis is down instead of queueing requests that users wait on.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A write that timed out must not be replayed later behind the caller's back.
      autoResendUnfulfilledCommands: false,
      // This store re-subscribes its own channel set on reconnect (see onSubscriberReady), so a
      // channel whose UNSUBSCRIBE was lost during an outage is not resurrected.
      autoResubscribe: false,
      retryStrategy: (attempts) => Math.min(attempts * 100, 2000),
    };
    this.cmd = options.url ? new Redis(options.url, clientOptions) : new Redis(clientOptions);
    this.sub = options.url ? new Redis(options.url, clientOptions) : new Redis(clientOptions);
    this.watch(this.cmd, "command");
    this.watch(this.sub, "subscriber");
    this.sub.on("ready", () => this.onSubscriberReady());
    this.sub.on("message", (channel: string, payload: string) => this.dispatch(channel, payload));
  }

  /** Waits (bounded by connectTimeoutMs) until both connections are ready. Optional: the store
   *  also becomes usable on its own whenever Redis comes up. */
  async connect(): Promise<void> {
    await Promise.all([this.waitReady(this.cmd), this.waitReady(this.sub)]);
  }

  async get(id: string): Promise<SessionRecord | null> {
    const json = await this.run("GET", () => this.cmd.get(sessionKey(this.prefix, id)));
    return json === null ? null : (JSON.parse(json) as SessionRecord);
  }

  async create(record: SessionRecord, ttlSeconds: number): Promise<boolean> {
    assertTtlSeconds(ttlSeconds);
    const created = await this.eval(SCRIPTS.create, createCall(this.prefix, record, ttlSeconds));
    return created === 1;
  }

  async update(record: SessionRecord, options: UpdateOptions): Promise<UpdateResult> {
    if (options.ttlSeconds !== undefined) assertTtlSeconds(options.ttlSeconds);
    const reply = await this.eval(SCRIPTS.update, updateCall(this.prefix, record, options));
    const result = updateResult(reply);
    if (result) return result;
    throw new StoreUnavailableError(`unexpected reply from the update script: ${String(reply)}`);
  }

  async delete(id: string): Promise<boolean> {
    const removed = await this.eval(SCRIPTS.del, deleteCall(this.prefix, id));
    return removed === 1;
  }

  async listByOwner(owner: string): Promise<string[]> {
    const setKey = ownerKey(this.prefix, owner);
    const ids = await this.run("SMEMBERS", () => this.cmd.smembers(setKey));
    if (ids.length === 0) return [];
    const pipeline = this.cmd.pipeline();
    for (const id of ids) pipeline.exists(sessionKey(this.prefix, id));
    const replies = await this.run("EXISTS", async () => {
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, exists]) => {
        if (err) throw err;
        return exists === 1;
      });
    });
    const live = ids.filter((_, i) => replies[i] === true);
    const stale = ids.filter((_, i) => replies[i] !== true);
    // Members outlive sessions that expired; prune them so the set does not grow forever.
    if (stale.length > 0) await this.run("SREM", () => this.cmd.srem(setKey, ...stale));
    return live.sort();
  }

  async ping(): Promise<void> {
    await this.run("PING", () => this.cmd.ping());
  }

  async publish(channel: string, payload: string): Promise<void> {
    assertPayload(payload);
    await this.run("PUBLISH", () => this.cmd.publish(channelKey(this.prefix, channel), payload));
  }

  async subscribe(channel: string, handlers: SubscribeHandlers): Promise<Unsubscribe> {
    this.assertOpen();
    const key = channelKey(this.prefix, channel);
    // A fresh object per call: the same handlers subscribed twice are two registrations.
    const registration: Registration = { handlers, active: true };
    await this.chains.run(key, async () => {
      let registrations = this.channels.get(key);
      if (!registrations) {
        try {
          await this.run("SUBSCRIBE", () => this.sub.subscribe(key));
        } catch (err) {
          // It may have reached Redis before timing out; take it back so nothing leaks.
          this.sub.unsubscribe(key).catch(noop);
          throw err;
        }
        registrations = new Set();
        this.channels.set(key, registrations);
      }
      registrations.add(registration);
    });
    return () => this.unsubscribe(key, registration);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const registrations of this.channels.values()) {
      for (const registration of registrations) registration.active = false;
    }
    this.channels.clear();
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }

  private unsubscribe(key: string, registration: Registration): Promise<void> {
    if (!registration.active) return Promise.resolve(); // second call: nothing to do
    registration.active = false; // no delivery from now on, even before Redis hears of it
    return this.chains.run(key, async () => {
      const registrations = this.channels.get(key);
      if (!registrations?.delete(registration) || registrations.size > 0) return;
      this.channels.delete(key);
      // Best effort: if Redis is unreachable the subscription dies with the connection, and the
      // reconnect only re-subscribes channels that still have registrations.
      await this.sub.unsubscribe(key).catch(noop);
    });
  }

  private dispatch(channel: string, payload: string): void {
    const registrations = this.channels.get(channel);
    if (!registrations) return;
    for (const registration of [...registrations]) {
      if (!registration.active) continue;
      try {
        registration.handlers.message(payload);
      } catch (err) {
        this.onError(asError(err), "listener");
      }
    }
  }

  /** Every 'ready' after the first is a reconnect: the new connection has no subscriptions and
   *  messages published meanwhile are lost, so subscribe again, then tell listeners to re-read. */
  private onSubscriberReady(): void {
    if (!this.subWasReady) {
      this.subWasReady = true;
      return;
    }
    const keys = [...this.channels.keys()];
    if (keys.length === 0 || this.closed) return;
    this.sub.subscribe(...keys).then(
      () => {
        for (const registrations of this.channels.values()) {
          for (const registration of [...registrations]) {
            if (!registration.active) continue;
            try {
              registration.handlers.resync?.();
            } catch (err) {
              this.onError(asError(err), "listener");
            }
          }
        }
      },
      (err: unknown) => {
        // Listeners would silently stop receiving: reconnect and try again on the next ready.
        this.onError(asError(err), "subscriber");
        if (!this.closed) this.sub.disconnect(true);
      },
    );
  }

  /** ioredis emits 'error' on every failed reconnect attempt; without a listener it would log
   *  "Unhandled error event" each time. Report once per outage instead. */
  private watch(client: Redis, source: ErrorSource): void {
    let reported = false;
    client.on("error", (err: Error) => {
      if (reported || this.closed) return;
      reported = true;
      this.onError(err, source);
    });
    client.on("ready", () => {
      reported = false;
    });
  }

  private waitReady(client: Redis): Promise<void> {
    if (client.status === "ready") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        client.off("ready", onReady);
        reject(new StoreUnavailableError(`Redis not ready after ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      client.once("ready", onReady);
    });
  }

  /** EVALSHA, loading the script with EVAL when Redis does not know it (after a restart). */
  private eval(s: Script, { keys, args }: ScriptCall): Promise<unknown> {
    return this.run("EVALSHA", async () => {
      try {
        return await this.cmd.evalsha(s.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
        return await this.cmd.eval(s.lua, keys.length, ...keys, ...args);
      }
    });
  }

  /** Every Redis failure (down, timeout, "Stream isn't writeable", error reply) becomes one
   *  error type that handlers map to 503. */
  private async run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(`Redis ${command} failed: ${asError(err).message}`, {
        cause: err,
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError("the Redis store is closed");
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** QUIT lets pending replies arrive; it cannot be sent while disconnected (no offline queue) and
 *  may hang on a dead socket, so fall back to a hard disconnect. */
async function quit(client: Redis): Promise<void> {
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
