/**
 * The session store on Redis, whatever carries the commands: ioredis over TCP (ioredis.ts) or
 * @upstash/redis over HTTP (upstash.ts) supply only a RedisCommands. Keys, scripts, the reading of
 * stored records and the wrapping of every failure into StoreUnavailableError — or, for a Redis
 * that is full, into AppError("store_full") — live here, once.
 * Portable: Web Crypto only (the edge bundle includes it).
 */
import {
  AppError,
  StoreUnavailableError,
  TOMBSTONE_SECONDS,
  announcementText,
  assertAnnouncement,
  parseStoredRecord,
  recordJson,
  type Announcement,
  type CommitOptions,
  type CommitResult,
  type SessionLookup,
  type SessionRecord,
  type SessionStore,
} from "../../handlers/index.js";
import {
  DEFAULT_PREFIX,
  assertTtlSeconds,
  channelKey,
  legacySessionKey,
  legacyTombstoneKey,
  sessionKey,
  shardChannelKey,
  tombstoneKey,
  validatePrefix,
} from "./keys.js";
import { COMMIT_LUA, CREATE_LUA, DELETE_LUA, shardedScript } from "./session-scripts.js";
import { RedisHookStore } from "./redis-hook-store.js";

/** The few commands the store needs; a transport answers them or throws. */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  ping(): Promise<unknown>;
  /**
   * The script (by SHA or source), then WAIT for `replicas` within `timeoutMs`, in one round trip
   * on the connection of the script's keys: its reply, and how many replicas acknowledged. Only a
   * transport whose Redis has replicas it can wait for supplies it (ioredis).
   */
  scriptThenWait?(
    command: "evalsha" | "eval",
    script: string,
    keys: string[],
    args: string[],
    replicas: number,
    timeoutMs: number,
  ): Promise<{ reply: unknown; replicas: number }>;
  /** Waits (bounded) for the first connection, where there is one. */
  connect?(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisSessionStoreOptions {
  /** "redis" or "upstash": names the backend in /ready and in error messages. */
  kind: string;
  /** Prefix of every key and channel (default "rsvg:"). */
  prefix?: string;
  /** Also read, and move on write, records under the keys before hash tags (keys.ts). Off on a
   *  Cluster, where those keys are in other slots and no release wrote them (default true). */
  legacyKeys?: boolean;
  /** "sharded" on a Cluster: channels carry the id as hash tag and scripts SPUBLISH them on the
   *  shard of the session's keys (keys.ts shardChannelKey); "plain" (default): PUBLISH on channelKey. */
  pubsub?: "plain" | "sharded";
  /** Answer a change only once this many replicas acknowledged it (WAIT); needs scriptThenWait. */
  waitReplicas?: { replicas: number; timeoutMs: number };
}

/** SHA-1 of each script, as plain strings: on workerd a shared pending promise must not be settled by another request's work. */
const SHAS = new Map<string, string>();

async function scriptSha(lua: string): Promise<string> {
  let sha = SHAS.get(lua);
  if (sha === undefined) {
    const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(lua));
    sha = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
    SHAS.set(lua, sha);
  }
  return sha;
}

export class RedisSessionStore implements SessionStore {
  readonly kind: string;
  readonly hooks: RedisHookStore;
  private readonly prefix: string;
  private readonly legacyKeys: boolean;
  private readonly sharded: boolean;
  private readonly waitReplicas: { replicas: number; timeoutMs: number } | undefined;
  private closed = false;

  constructor(
    private readonly commands: RedisCommands,
    options: RedisSessionStoreOptions,
  ) {
    this.kind = options.kind;
    this.prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
    this.legacyKeys = options.legacyKeys ?? true;
    this.sharded = options.pubsub === "sharded";
    this.waitReplicas = options.waitReplicas && options.waitReplicas.replicas > 0 ? options.waitReplicas : undefined;
    if (this.waitReplicas && !commands.scriptThenWait) throw new TypeError(`the ${this.kind} transport cannot wait for replicas`);
    this.hooks = new RedisHookStore(
      this.prefix,
      (lua, keys, args) => this.script(lua, keys, args),
      (key) => this.run("GET", () => this.commands.get(key)),
    );
  }

  async connect(): Promise<void> {
    await this.commands.connect?.();
  }

  async get(id: string): Promise<SessionRecord | null> {
    const json = await this.getEither(sessionKey(this.prefix, id), legacySessionKey(this.prefix, id));
    if (json === null) return null;
    const record = parseStoredRecord(json);
    if (!record) throw new AppError("record_unreadable", `the stored session ${id} cannot be read by this server version`);
    return record;
  }

  /**
   * Two GETs only when the record is missing. A create between them (which removes the tombstone)
   * makes a live session read as missing, which the hub treats as a loss and re-reads later; a
   * delete between them cannot be missed, since its script writes the tombstone as it deletes.
   */
  async lookup(id: string): Promise<SessionLookup> {
    const record = await this.get(id);
    if (record) return { state: "live", record };
    const tombstone = await this.getEither(tombstoneKey(this.prefix, id), legacyTombstoneKey(this.prefix, id));
    const incarnation = tombstone === null ? Number.NaN : Number(tombstone);
    return Number.isSafeInteger(incarnation) ? { state: "deleted", incarnation } : { state: "missing" };
  }

  async create(record: SessionRecord, ttlSeconds: number | null, announcement: Announcement): Promise<boolean> {
    if (ttlSeconds !== null) assertTtlSeconds(ttlSeconds);
    const text = announcementText(announcement);
    const reply = await this.script(CREATE_LUA, this.keysWithTombstone(record.id), [
      recordJson(record),
      ttlSeconds === null ? "" : String(ttlSeconds),
      this.channel(record.id),
      text,
    ], (reply) => reply === 1);
    return reply === 1;
  }

  async commit(record: SessionRecord, options: CommitOptions, announcement: Announcement): Promise<CommitResult> {
    const { ttlSeconds } = options;
    if (typeof ttlSeconds === "number") assertTtlSeconds(ttlSeconds);
    const text = announcementText(announcement);
    const legacy = this.legacyKeys ? [legacySessionKey(this.prefix, record.id)] : [];
    const reply = await this.script(COMMIT_LUA, [sessionKey(this.prefix, record.id), ...legacy], [
      recordJson(record),
      String(options.expect.incarnation),
      String(options.expect.version),
      ttlSeconds === undefined ? "" : ttlSeconds === null ? "none" : String(ttlSeconds),
      this.channel(record.id),
      text,
    ], (reply) => reply === "committed");
    if (reply === "committed" || reply === "missing" || reply === "conflict") return reply;
    throw new StoreUnavailableError(`unexpected reply from the commit script: ${String(reply)}`);
  }

  async delete(id: string, incarnation: number, announcement: string): Promise<boolean> {
    assertAnnouncement(announcement);
    const reply = await this.script(DELETE_LUA, this.keysWithTombstone(id), [
      String(incarnation),
      this.channel(id),
      announcement,
      String(TOMBSTONE_SECONDS),
    ], (reply) => reply === 1);
    return reply === 1;
  }

  /** The key, else (where legacy keys can exist) the legacy one: a record not yet moved. */
  private async getEither(key: string, legacy: string): Promise<string | null> {
    const value = await this.run("GET", () => this.commands.get(key));
    if (value !== null || !this.legacyKeys) return value;
    return this.run("GET", () => this.commands.get(legacy));
  }

  /** The create and delete scripts' KEYS: session, tombstone, and their legacy keys where they can exist. */
  private keysWithTombstone(id: string): string[] {
    const keys = [sessionKey(this.prefix, id), tombstoneKey(this.prefix, id)];
    if (this.legacyKeys) keys.push(legacySessionKey(this.prefix, id), legacyTombstoneKey(this.prefix, id));
    return keys;
  }

  async ping(): Promise<void> {
    await this.run("PING", () => this.commands.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commands.close();
  }

  /** The channel a session's changes are announced on. */
  private channel(id: string): string {
    return this.sharded ? shardChannelKey(this.prefix, id) : channelKey(this.prefix, id);
  }

  /**
   * EVALSHA, loading the script with EVAL when Redis does not know it (first use, restart). On a
   * Cluster every announcement is an SPUBLISH (shardedScript). With waitReplicas, WAIT follows in
   * the same round trip, and a change fewer replicas acknowledged in time is answered
   * write_unconfirmed: it is on the primary (and announced) but could still be lost in a failover.
   */
  private async script(source: string, keys: string[], args: string[], changed: (reply: unknown) => boolean = () => true): Promise<unknown> {
    const lua = this.sharded ? shardedScript(source) : source;
    const sha = await scriptSha(lua);
    const wait = this.waitReplicas;
    // By SHA; by source when Redis does not know it (restarted, flushed, another node).
    const bySha = <T>(send: (command: "evalsha" | "eval", script: string) => Promise<T>): Promise<T> =>
      send("evalsha", sha).catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return send("eval", lua);
      });
    // The script alone: every write's path without REDIS_WAIT_REPLICAS.
    if (!wait) return this.run("EVALSHA", () => bySha((command, script) => this.commands[command](script, keys, args)));
    // With WAIT in the same round trip.
    const { reply, replicas } = await this.run("EVALSHA+WAIT", () =>
      bySha((command, script) => this.commands.scriptThenWait!(command, script, keys, args, wait.replicas, wait.timeoutMs)),
    );
    // A script that changed nothing (exists, conflict, missing) has nothing to lose.
    if (replicas < wait.replicas && changed(reply)) {
      throw new AppError(
        "write_unconfirmed",
        `stored on the Redis primary, but ${replicas} of the ${wait.replicas} replicas REDIS_WAIT_REPLICAS asks for confirmed it within ${wait.timeoutMs} ms; it may be lost if the primary fails now — send it again`,
        { "Retry-After": "1" },
      );
    }
    return reply;
  }

  /**
   * Every failure (unreachable, timeout, error reply) becomes the one error handlers map to 503,
   * except a full Redis: it answers reads, pings and deletes, so it is no outage, and the write is
   * refused with 507 store_full.
   */
  private async run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`the ${this.kind} store is closed`);
    try {
      return await fn();
    } catch (error) {
      if (isFullReply(error)) {
        throw new AppError("store_full", `the ${this.kind} store is full: ${(error as Error).message}`);
      }
      throw storeUnavailable(`${this.kind} ${command}`, error);
    }
  }
}

/**
 * A write refused for lack of memory. Redis 7.0.15 under `maxmemory` with `noeviction` fails the
 * script's SET with "OOM command not allowed when used memory > 'maxmemory'. script: …" (seen
 * through redis-cli, ioredis and the Upstash REST form alike); Upstash's own full database answers
 * "ERR DB capacity quota exceeded" (its troubleshooting page of that name).
 */
const FULL_REPLY = /\bOOM command not allowed\b|\bDB capacity quota exceeded\b/;

const isNoScript = (error: unknown): boolean => String((error as Error)?.message ?? error).includes("NOSCRIPT");

function isFullReply(error: unknown): boolean {
  return error instanceof Error && FULL_REPLY.test(error.message);
}

/** "<what> failed: <reason>", keeping the original as the cause. */
export function storeUnavailable(what: string, error: unknown): StoreUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`${what} failed: ${reason}`, { cause: error });
}
