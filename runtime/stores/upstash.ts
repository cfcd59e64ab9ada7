/**
 * Redis over HTTP (the Upstash REST protocol, @upstash/redis) for edge runtimes, where no TCP
 * socket is available: the command transport of the Redis session store, and a broker of one SSE
 * stream per channel (upstash-subscription.ts). Same keys, scripts and records as over TCP, so
 * edge deployments and Node replicas can share one Redis.
 *
 * Client choices, on purpose:
 * - `automaticDeserialization: false`: the client would JSON-parse every reply ("123" becomes a
 *   number); records are parsed by the store, once.
 * - `enableAutoPipelining: false`: every operation is one command whose answer the caller waits
 *   for, so batching unrelated requests' commands into one `/pipeline` saves nothing and couples
 *   their latency and failure.
 * - `retry: { retries: 0 }`: the client would resend a failed request up to five times over ~4 s;
 *   a resent compare-and-set that had in fact been applied would then report a false conflict.
 * - Replies use `Upstash-Encoding: base64` (the client's default), so any string survives intact.
 * Portable: fetch and Web Crypto only (the edge bundle includes it).
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { Broker, BrokerListener, SessionStore } from "../../handlers/index.js";
import { channelKey, DEFAULT_PREFIX, validatePrefix } from "./keys.js";
import { RedisSessionStore, storeUnavailable, type RedisCommands } from "./redis-session-store.js";
import { ChannelSubscription, HEARTBEAT_PAYLOAD } from "./upstash-subscription.js";

export interface UpstashOptions {
  /** UPSTASH_REDIS_REST_URL, e.g. https://eu1-example-12345.upstash.io */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN */
  token: string;
  /** Prefix of every key and channel (default "rsvg:"); the same as the Node replicas' KEY_PREFIX. */
  prefix?: string;
  /** A request without an answer after this long fails; also bounds opening a subscription (default 2000). */
  commandTimeoutMs?: number;
  /** A subscription silent this long is probed with a heartbeat on its channel (default 15000). */
  heartbeatMs?: number;
  /** A probed subscription still silent this much later is replaced (default 5000). */
  heartbeatTimeoutMs?: number;
  /** Bounds of the reconnect delay of a lost subscription (default 100 to 5000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Subscription trouble, once per outage per channel. */
  onError?: (error: Error) => void;
}

interface Settings {
  url: string;
  token: string;
  prefix: string;
  commandTimeoutMs: number;
}

function settings(options: UpstashOptions): Settings {
  if (!options.token) throw new TypeError("the Upstash store needs a REST token");
  return {
    url: validateUrl(options.url),
    token: options.token,
    prefix: validatePrefix(options.prefix ?? DEFAULT_PREFIX),
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
  };
}

function client({ url, token, commandTimeoutMs }: Settings): Redis {
  return new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    retry: { retries: 0, backoff: () => 0 },
    signal: () => AbortSignal.timeout(commandTimeoutMs),
  });
}

/** The session store over HTTP. Holds no connection between calls, so one may serve a whole isolate. */
export function upstashStore(options: UpstashOptions): SessionStore {
  return new RedisSessionStore(new UpstashCommands(client(settings(options))), { kind: "upstash", prefix: options.prefix });
}

/** The broker over HTTP; its SSE streams belong to the request that opened them (workerd), so make one per request there. */
export function upstashBroker(options: UpstashOptions): Broker {
  return new UpstashBroker(options);
}

class UpstashCommands implements RedisCommands {
  constructor(private readonly client: Redis) {}
  get(key: string) {
    return this.call(() => this.client.get<string>(key));
  }
  evalsha(sha: string, keys: string[], args: string[]) {
    return this.call(() => this.client.evalsha(sha, keys, args));
  }
  eval(script: string, keys: string[], args: string[]) {
    return this.call(() => this.client.eval(script, keys, args));
  }
  ping() {
    return this.call(() => this.client.ping());
  }
  /** One round trip checks the URL and token. */
  async connect() {
    await this.ping();
  }
  async close() {}

  /** The client appends the whole command (a record can be a megabyte) to its error messages. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const cut = message.indexOf(", command was:");
      throw new Error(cut < 0 ? message : message.slice(0, cut), { cause: error });
    }
  }
}

class UpstashBroker implements Broker {
  private listener: BrokerListener | undefined;
  private readonly settings: Settings;
  private readonly publisher: Redis;
  private readonly channels = new Map<string, { subscription: ChannelSubscription; opened: Promise<void> }>();
  private closed = false;

  constructor(private readonly options: UpstashOptions) {
    this.settings = settings(options);
    this.publisher = client(this.settings);
  }

  listen(listener: BrokerListener): void {
    this.listener = listener;
  }

  subscribe(channel: string): Promise<void> {
    if (this.closed) return Promise.reject(storeUnavailable("upstash SUBSCRIBE", new Error("the broker is closed")));
    const existing = this.channels.get(channel);
    if (existing) return existing.opened;
    const subscription = this.open(channel);
    const opened = subscription.open().catch((error: unknown) => {
      if (this.channels.get(channel)?.subscription === subscription) this.channels.delete(channel);
      throw storeUnavailable("upstash SUBSCRIBE", error);
    });
    this.channels.set(channel, { subscription, opened });
    return opened;
  }

  async unsubscribe(channel: string): Promise<void> {
    const entry = this.channels.get(channel);
    if (!entry) return;
    this.channels.delete(channel);
    entry.subscription.close(); // ends the HTTP stream; Redis drops the subscription with it
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { subscription } of this.channels.values()) subscription.close();
    this.channels.clear();
  }

  private open(channel: string): ChannelSubscription {
    const { url, token, prefix, commandTimeoutMs } = this.settings;
    const key = channelKey(prefix, channel);
    let reported = false;
    return new ChannelSubscription({
      url,
      token,
      channel: key,
      connectTimeoutMs: commandTimeoutMs,
      heartbeatMs: this.options.heartbeatMs ?? 15_000,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 5_000,
      backoff: { minMs: this.options.reconnectMinMs ?? 100, maxMs: this.options.reconnectMaxMs ?? 5_000 },
      onMessage: (payload) => this.listener?.message(channel, payload),
      onResync: () => {
        reported = false;
        this.listener?.resync(channel);
      },
      sendHeartbeat: async () => {
        await this.publisher.publish(key, HEARTBEAT_PAYLOAD);
      },
      onTrouble: (error) => {
        if (reported || this.closed) return;
        reported = true;
        this.options.onError?.(error);
      },
    });
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
