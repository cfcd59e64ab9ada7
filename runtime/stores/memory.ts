/**
 * The embedded default: sessions and their announcements in this process only. A MemoryStore
 * announces to every MemoryBroker made on it (several brokers stand for several processes in
 * tests); delivery is asynchronous, like a real broker's, so writers never run listener code inline.
 *
 * Its records live in this process's heap, so the store is capped in bytes and in sessions: a write
 * beyond either is refused with `store_full` (507) and changes nothing, where unbounded records once
 * took the process down with every session in it.
 */
import {
  AppError,
  LEGACY_INCARNATION_FACTOR,
  TOMBSTONE_SECONDS,
  announcementText,
  assertAnnouncement,
  type Announcement,
  type Broker,
  type BrokerListener,
  type CommitOptions,
  type CommitResult,
  type SessionLookup,
  type SessionRecord,
  type SessionStore,
} from "../../handlers/index.js";
import { assertTtlSeconds } from "./keys.js";
import { MemoryHookStore } from "./memory-hook-store.js";
import { DEFAULT_MEMORY_MAX_BYTES, DEFAULT_MEMORY_MAX_SESSIONS } from "./memory-limits.js";

export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds; tests inject one to make expiry deterministic. */
  now?: () => number;
  /** How often expired records are swept out (default 60 s). */
  sweepIntervalMs?: number;
  /** Most bytes of records held, counted by `storedBytes` (default DEFAULT_MEMORY_MAX_BYTES). */
  maxBytes?: number;
  /** Most sessions held (default DEFAULT_MEMORY_MAX_SESSIONS). */
  maxSessions?: number;
}

/** While the store is full, refused writes sweep expired records out at most this often. */
const FULL_SWEEP_INTERVAL_MS = 1_000;

/**
 * What a record counts against `maxBytes`: the lengths of its strings — id, template, frame, token
 * hash and its arguments' JSON — in UTF-16 code units, times two: the heap V8 strings of those
 * lengths take when stored two bytes per character, which is the most any content takes
 * (Latin-1-only strings take half). Constant time, no encoding. Its numbers and the entry itself
 * are left to MEMORY_MAX_SESSIONS.
 */
export const storedBytes = (record: SessionRecord, argsJson: string): number =>
  2 * (record.id.length + record.template.length + record.frame.length + record.tokenHash.length + argsJson.length);

/**
 * A record as kept: its strings and numbers as given (immutable, shared with the caller), its
 * arguments as JSON, so no caller can change what is stored through an object it holds or got.
 * Only the arguments are encoded, not the frame and template: escaping their quotes was most of
 * a write's JSON work.
 */
interface Entry {
  /** The record with every field but `args`, which holds EMPTY_ARGS: the arguments are `argsJson`. */
  record: SessionRecord;
  argsJson: string;
  /** storedBytes, counted in MemoryStore.bytes while the entry is in the map. */
  bytes: number;
  incarnation: number;
  version: number;
  /** Epoch ms; Infinity for a session without expiry. */
  expiresAt: number;
}

/** What a kept record's `args` holds until `get` puts the decoded arguments there. */
const EMPTY_ARGS: Record<string, unknown> = Object.freeze({});

/** A deleted session's tombstone: the incarnation deleted, until when it is kept. */
interface Tombstone {
  incarnation: number;
  until: number;
}

export class MemoryStore implements SessionStore {
  readonly kind = "memory";
  readonly hooks: MemoryHookStore;
  private readonly records = new Map<string, Entry>();
  /**
   * Oldest first (all live equally long). At most `maxSessions` of them: past that the oldest goes,
   * so deleting sessions cannot grow the heap; a lost tombstone only turns a missed delete back
   * into a loss, and this store's brokers never miss an announcement anyway.
   */
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly brokers = new Set<MemoryBroker>();
  private readonly now: () => number;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private readonly maxBytes: number;
  private readonly maxSessions: number;
  /** storedBytes of every entry in `records`, expired ones included until they are dropped. */
  private bytes = 0;
  private nextFullSweep = -Infinity;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxBytes = options.maxBytes ?? DEFAULT_MEMORY_MAX_BYTES;
    this.maxSessions = options.maxSessions ?? DEFAULT_MEMORY_MAX_SESSIONS;
    this.hooks = new MemoryHookStore(this.now);
    // Lazy expiry alone would keep records nobody reads again forever.
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweepTimer.unref?.();
  }

  /** A broker that hears this store's announcements. */
  broker(): MemoryBroker {
    const broker = new MemoryBroker(this.brokers);
    this.brokers.add(broker);
    return broker;
  }

  /** Sessions and bytes held now (expired records count until they are dropped). */
  usage(): { sessions: number; bytes: number } {
    return { sessions: this.records.size, bytes: this.bytes };
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id);
    return entry ? { ...entry.record, args: JSON.parse(entry.argsJson) as Record<string, unknown> } : null;
  }

  async lookup(id: string): Promise<SessionLookup> {
    const record = await this.get(id);
    if (record) return { state: "live", record };
    const tombstone = this.tombstones.get(id);
    if (tombstone && tombstone.until > this.now()) return { state: "deleted", incarnation: tombstone.incarnation };
    return { state: "missing" };
  }

  async create(record: SessionRecord, ttlSeconds: number | null, announcement: Announcement): Promise<boolean> {
    if (ttlSeconds !== null) assertTtlSeconds(ttlSeconds);
    if (typeof announcement === "string") assertAnnouncement(announcement);
    if (this.live(record.id)) return false;
    const payload = this.payload(record.id, announcement);
    const entry = this.entry(record, this.expiry(ttlSeconds));
    this.admit(entry.bytes, 1);
    this.put(record.id, entry);
    this.tombstones.delete(record.id);
    this.announce(record.id, payload);
    return true;
  }

  async commit(record: SessionRecord, options: CommitOptions, announcement: Announcement): Promise<CommitResult> {
    if (typeof options.ttlSeconds === "number") assertTtlSeconds(options.ttlSeconds);
    if (typeof announcement === "string") assertAnnouncement(announcement);
    const current = this.live(record.id);
    if (!current) return "missing";
    if (current.incarnation !== options.expect.incarnation || current.version !== options.expect.version) return "conflict";
    const payload = this.payload(record.id, announcement);
    const expiresAt = options.ttlSeconds === undefined ? current.expiresAt : this.expiry(options.ttlSeconds);
    const entry = this.entry(record, expiresAt);
    // Only growth can overflow: a write that keeps or shrinks the record is taken even when full.
    if (entry.bytes > current.bytes) {
      this.admit(entry.bytes - current.bytes, 0);
      if (this.records.get(record.id) !== current) return "missing"; // expired while admit swept
    }
    this.put(record.id, entry);
    this.announce(record.id, payload);
    return "committed";
  }

  async delete(id: string, incarnation: number, announcement: string): Promise<boolean> {
    assertAnnouncement(announcement);
    const current = this.live(id);
    if (!current || current.incarnation !== incarnation) return false;
    this.drop(id);
    this.bury(id, incarnation);
    this.announce(id, announcement);
    return true;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const broker of this.brokers) void broker.close();
  }

  /** A TTL as an expiry time: null is none (Infinity). */
  private expiry(ttlSeconds: number | null): number {
    return ttlSeconds === null ? Number.POSITIVE_INFINITY : this.now() + ttlSeconds * 1000;
  }

  private bury(id: string, incarnation: number): void {
    this.tombstones.delete(id);
    this.tombstones.set(id, { incarnation, until: this.now() + TOMBSTONE_SECONDS * 1000 });
    for (const oldest of this.tombstones.keys()) {
      if (this.tombstones.size <= this.maxSessions) break;
      this.tombstones.delete(oldest);
    }
  }

  /**
   * The announcement's text (a string was checked on the way in); for a function, made and checked
   * before anything is stored, and null when no broker listens to the channel now (it is never
   * called then). Nothing awaited lies between this and `announce`: whoever listens now hears it.
   */
  private payload(channel: string, announcement: Announcement): string | null {
    if (typeof announcement === "string") return announcement;
    for (const broker of this.brokers) if (broker.listensTo(channel)) return announcementText(announcement);
    return null;
  }

  private announce(channel: string, payload: string | null): void {
    if (payload === null) return;
    for (const broker of this.brokers) broker.announce(channel, payload);
  }

  private entry(record: SessionRecord, expiresAt: number): Entry {
    // Written by an older version: no incarnation stored, so it is derived as on Redis.
    const incarnation = record.incarnation ?? record.createdAt * LEGACY_INCARNATION_FACTOR;
    const argsJson = JSON.stringify(record.args);
    // A copy: the caller's object, and its args, are not kept.
    const kept: SessionRecord = { ...record, args: EMPTY_ARGS, incarnation };
    return { record: kept, argsJson, bytes: storedBytes(record, argsJson), incarnation, version: record.version, expiresAt };
  }

  /** Throws store_full unless `bytes` more and `sessions` more fit; expired records are swept out first. */
  private admit(bytes: number, sessions: number): void {
    const fits = () => this.bytes + bytes <= this.maxBytes && this.records.size + sessions <= this.maxSessions;
    if (fits()) return;
    if (this.now() >= this.nextFullSweep) {
      this.nextFullSweep = this.now() + FULL_SWEEP_INTERVAL_MS;
      this.sweep();
      if (fits()) return;
    }
    throw new AppError(
      "store_full",
      `the memory store is full (${this.records.size} of ${this.maxSessions} sessions, ${this.bytes} of ${this.maxBytes} bytes); ` +
        "delete sessions, shorten their expiry, raise MEMORY_MAX_BYTES / MEMORY_MAX_SESSIONS or use Redis",
    );
  }

  /** Every change to `records` goes through put and drop, so `bytes` stays exact. */
  private put(id: string, entry: Entry): void {
    this.bytes += entry.bytes - (this.records.get(id)?.bytes ?? 0);
    this.records.set(id, entry);
  }

  private drop(id: string): void {
    const entry = this.records.get(id);
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.records.delete(id);
  }

  /** The entry if present and not expired; drops it when expired (lazy expiry). */
  private live(id: string): Entry | undefined {
    const entry = this.records.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.drop(id);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    this.hooks.sweep();
    const now = this.now();
    for (const [id, entry] of this.records) {
      if (entry.expiresAt <= now) this.drop(id);
    }
    // Buried in order, each for as long: the first one still kept ends the sweep.
    for (const [id, tombstone] of this.tombstones) {
      if (tombstone.until > now) break;
      this.tombstones.delete(id);
    }
  }
}

export class MemoryBroker implements Broker {
  private listener: BrokerListener | undefined;
  private readonly channels = new Set<string>();

  constructor(private readonly registry: Set<MemoryBroker>) {}

  listen(listener: BrokerListener): void {
    this.listener = listener;
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.registry.delete(this);
  }

  /** @internal MemoryStore: whether an announcement on the channel would be heard now. */
  listensTo(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** @internal MemoryStore: only channels subscribed now hear it, and only if still subscribed when it arrives. */
  announce(channel: string, payload: string): void {
    if (!this.channels.has(channel)) return;
    queueMicrotask(() => {
      if (this.channels.has(channel)) this.listener?.message(channel, payload);
    });
  }
}

/** The memory session store with one broker: the embedded default of a single process. */
export function memoryPorts(options: MemoryStoreOptions = {}): { store: MemoryStore; broker: MemoryBroker } {
  const store = new MemoryStore(options);
  return { store, broker: store.broker() };
}
