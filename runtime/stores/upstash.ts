/**
 * Store on Redis over HTTP (the Upstash REST protocol, @upstash/redis), for edge runtimes where
 * no TCP socket is available. Same keys, JSON and scripts as the ioredis store, so edge
 * deployments and Node replicas can share one Redis and see each other's sessions and frames.
 *
 * Client choices, on purpose:
 * - `automaticDeserialization: false`: the client would JSON-parse every reply ("123" becomes a
 *   number); records are our own JSON, parsed here once.
 * - `enableAutoPipelining: false`: every operation here is one command whose answer the next step
 *   waits for, so batching same-tick commands of unrelated requests into one `/pipeline` request
 *   saves nothing and couples their latency and failure. Where commands are independent
 *   (listByOwner's EXISTS checks) one explicit pipeline sends them in a single request.
 * - `retry: { retries: 0 }`: the client would resend a failed request up to five times over ~4 s;
 *   a resent compare-and-set that had in fact been applied would then report a false conflict.
 *   Callers get StoreUnavailableError at once instead (503, retry shortly), as with ioredis.
 * - Replies use `Upstash-Encoding: base64` (the client's default), so any string survives intact.
 * Subscriptions are one SSE stream per channel; see upstash-subscription.ts.
 * Portable: fetch and Web Crypto only (the edge bundle includes it).
 */
import { Redis } from "@upstash/redis/cloudflare";
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
import { ChannelSubscription, HEARTBEAT_PAYLOAD } from "./upstash-subscription.js";

export interface UpstashStoreOptions {
  /** UPSTASH_REDIS_REST_URL, e.g. https://eu1-example-12345.upstash.io */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN */
  token: string;
  /** Prefix of every key and channel (default "rsvg:"); the same as the Node replicas' KEY_PREFIX. */
  prefix?: string;
  /** A request without an answer after this long fails with StoreUnavailableError; also bounds
   *  opening a subscription (default 2000). */
  commandTimeoutMs?: number;
  /** A subscription silent this long is probed with a heartbeat on its channel (default 15000). */
  heartbeatMs?: number;
  /** A probed subscription still silent this much later is replaced (default 5000). */
  heartbeatTimeoutMs?: number;
  /** Bounds of the reconnect delay of a lost subscription (default 100 to 5000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Told about connection trouble (once per outage per channel) and about listeners that throw. */
  onError?: (error: Error, source: "command" | "subscriber" | "listener") => void;
}

interface Registration {
  handlers: SubscribeHandlers;
  active: boolean;
}

interface ChannelEntry {
  subscription: ChannelSubscription;
  registrations: Set<Registration>;
}

/** SHA-1 of each script, computed on first use. Kept as plain strings, never as shared pending
 *  promises: on workerd a promise must not be settled by another request's work. */
const SHAS = new Map<string, string>();

async function scriptSha(lua: string): Promise<string> {
  let sha = SHAS.get(lua);
  if (sha === undefined) {
    const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(lua));
    sha = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    SHAS.set(lua, sha);
  }
  return sha;
}

const noop = (): void => {};

/** Store on Redis over HTTP. Holds no connection between calls, only one SSE stream per
 *  subscribed channel; close() ends those. */
export class UpstashStore implements Store {
  readonly kind = "upstash";
  private readonly prefix: string;
  private readonly url: string;
  private readonly token: string;
  private readonly client: Redis;
  private readonly commandTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly onError: NonNullable<UpstashStoreOptions["onError"]>;
  /** Per full channel key; its keys are exactly the channels with an open stream. */
  private readonly channels = new Map<string, ChannelEntry>();
  /** Subscribes and unsubscribes of one channel run one after another, never interleaved. */
  private readonly queue = new KeyedQueue();
  private closed = false;

  constructor(options: UpstashStoreOptions) {
    this.url = validateUrl(options.url);
    if (!options.token) throw new TypeError("the Upstash store needs a REST token");
    this.token = options.token;
    this.prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5_000;
    this.backoff = { minMs: options.reconnectMinMs ?? 100, maxMs: options.reconnectMaxMs ?? 5_000 };
    this.onError = options.onError ?? noop;
    this.client = new Redis({
      url: this.url,
      token: this.token,
      automaticDeserialization: false,
      enableAutoPipelining: false,
      enableTelemetry: false,
      retry: { retries: 0, backoff: () => 0 },
      signal: () => AbortSignal.timeout(this.commandTimeoutMs),
    });
  }

  /** One round trip: checks the URL and token. Nothing stays open between requests. */
  async connect(): Promise<void> {
    await this.ping();
  }

  async get(id: string): Promise<SessionRecord | null> {
    const json = await this.run("GET", () => this.client.get<string>(sessionKey(this.prefix, id)));
    return json === null ? null : (JSON.parse(json) as SessionRecord);
  }

  async create(record: SessionRecord, ttlSeconds: number): Promise<boolean> {
    assertTtlSeconds(ttlSeconds);
    const created = await this.eval(CREATE_LUA, createCall(this.prefix, record, ttlSeconds));
    return created === 1;
  }

  async update(record: SessionRecord, options: UpdateOptions): Promise<UpdateResult> {
    if (options.ttlSeconds !== undefined) assertTtlSeconds(options.ttlSeconds);
    const reply = await this.eval(UPDATE_LUA, updateCall(this.prefix, record, options));
    const result = updateResult(reply);
    if (result) return result;
    throw new StoreUnavailableError(`unexpected reply from the update script: ${String(reply)}`);
  }

  async delete(id: string): Promise<boolean> {
    const removed = await this.eval(DELETE_LUA, deleteCall(this.prefix, id));
    return removed === 1;
  }

  async listByOwner(owner: string): Promise<string[]> {
    const setKey = ownerKey(this.prefix, owner);
    const ids = await this.run("SMEMBERS", () => this.client.smembers<string[]>(setKey));
    if (ids.length === 0) return [];
    const replies = await this.run("EXISTS", () => {
      const pipeline = this.client.pipeline();
      for (const id of ids) pipeline.exists(sessionKey(this.prefix, id));
      return pipeline.exec<number[]>();
    });
    const live = ids.filter((_, i) => replies[i] === 1);
    const stale = ids.filter((_, i) => replies[i] !== 1);
    // Members outlive sessions that expired; prune them so the set does not grow forever.
    if (stale.length > 0) await this.run("SREM", () => this.client.srem(setKey, ...stale));
    return live.sort();
  }

  async ping(): Promise<void> {
    await this.run("PING", () => this.client.ping());
  }

  async publish(channel: string, payload: string): Promise<void> {
    assertPayload(payload);
    await this.run("PUBLISH", () => this.client.publish(channelKey(this.prefix, channel), payload));
  }

  async subscribe(channel: string, handlers: SubscribeHandlers): Promise<Unsubscribe> {
    this.assertOpen();
    const key = channelKey(this.prefix, channel);
    // A fresh object per call: the same handlers subscribed twice are two registrations.
    const registration: Registration = { handlers, active: true };
    await this.queue.run(key, async () => {
      this.assertOpen();
      let entry = this.channels.get(key);
      if (!entry) {
        const subscription = this.openSubscription(key);
        try {
          await subscription.open();
        } catch (err) {
          throw new StoreUnavailableError(`Upstash SUBSCRIBE failed: ${asError(err).message}`, { cause: err });
        }
        if (this.closed) {
          subscription.close(); // close() ran while this stream was opening
          this.assertOpen();
        }
        entry = { subscription, registrations: new Set() };
        this.channels.set(key, entry);
      }
      entry.registrations.add(registration);
    });
    return () => this.unsubscribe(key, registration);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.channels.values()) {
      for (const registration of entry.registrations) registration.active = false;
      entry.subscription.close();
    }
    this.channels.clear();
  }

  private openSubscription(key: string): ChannelSubscription {
    let reported = false;
    return new ChannelSubscription({
      url: this.url,
      token: this.token,
      channel: key,
      connectTimeoutMs: this.commandTimeoutMs,
      heartbeatMs: this.heartbeatMs,
      heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      backoff: this.backoff,
      onMessage: (payload) => this.dispatch(key, (handlers) => handlers.message(payload)),
      onResync: () => {
        reported = false;
        this.dispatch(key, (handlers) => handlers.resync?.());
      },
      sendHeartbeat: async () => {
        await this.client.publish(key, HEARTBEAT_PAYLOAD);
      },
      onTrouble: (error) => {
        if (reported || this.closed) return;
        reported = true;
        this.onError(error, "subscriber");
      },
    });
  }

  private unsubscribe(key: string, registration: Registration): Promise<void> {
    if (!registration.active) return Promise.resolve(); // second call: nothing to do
    registration.active = false; // no delivery from now on
    return this.queue.run(key, async () => {
      const entry = this.channels.get(key);
      if (!entry?.registrations.delete(registration) || entry.registrations.size > 0) return;
      this.channels.delete(key);
      entry.subscription.close(); // ends the HTTP stream; Redis drops the subscription with it
    });
  }

  private dispatch(key: string, deliver: (handlers: SubscribeHandlers) => void): void {
    const entry = this.channels.get(key);
    if (!entry) return;
    for (const registration of [...entry.registrations]) {
      if (!registration.active) continue;
      try {
        deliver(registration.handlers);
      } catch (err) {
        this.onError(asError(err), "listener");
      }
    }
  }

  /** EVALSHA, loading the script with EVAL when Redis does not know it (first use, restart). */
  private async eval(lua: string, { keys, args }: ScriptCall): Promise<unknown> {
    const sha = await scriptSha(lua);
    return this.run("EVALSHA", async () => {
      try {
        return await this.client.evalsha(sha, keys, args);
      } catch (err) {
        if (!asError(err).message.includes("NOSCRIPT")) throw err;
        return await this.client.eval(lua, keys, args);
      }
    });
  }

  /** Every failure (unreachable, timeout, HTTP error, error reply) becomes StoreUnavailableError. */
  private async run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(`Upstash ${command} failed: ${withoutCommand(err)}`, { cause: err });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError("the Upstash store is closed");
  }
}

function validateUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError("the Upstash REST URL is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError("the Upstash REST URL must be http(s)://");
  }
  return raw.replace(/\/+$/, "");
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The client appends the whole command (a record can be a megabyte) to its error messages. */
function withoutCommand(err: unknown): string {
  const message = asError(err).message;
  const cut = message.indexOf(", command was:");
  return cut < 0 ? message : message.slice(0, cut);
}
