/**
 * The embedded default: sessions and their announcements in this process only. A MemoryStore
 * announces to every MemoryBroker made on it (several brokers stand for several processes in
 * tests); delivery is asynchronous, like a real broker's, so writers never run listener code inline.
 */
import {
  LEGACY_INCARNATION_FACTOR,
  assertAnnouncement,
  parseStoredRecord,
  type Broker,
  type BrokerListener,
  type CommitOptions,
  type CommitResult,
  type SessionRecord,
  type SessionStore,
} from "../../handlers/index.js";
import { assertTtlSeconds } from "./keys.js";

export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds; tests inject one to make expiry deterministic. */
  now?: () => number;
  /** How often expired records are swept out (default 60 s). */
  sweepIntervalMs?: number;
}

interface Entry {
  /** The record as JSON: a copy callers cannot mutate, with the same shape Redis would return. */
  json: string;
  incarnation: number;
  version: number;
  expiresAt: number;
}

export class MemoryStore implements SessionStore {
  readonly kind = "memory";
  private readonly records = new Map<string, Entry>();
  private readonly brokers = new Set<MemoryBroker>();
  private readonly now: () => number;
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
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

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id);
    return entry ? parseStoredRecord(entry.json) : null;
  }

  async create(record: SessionRecord, ttlSeconds: number, announcement: string): Promise<boolean> {
    assertTtlSeconds(ttlSeconds);
    assertAnnouncement(announcement);
    if (this.live(record.id)) return false;
    this.records.set(record.id, this.entry(record, this.now() + ttlSeconds * 1000));
    this.announce(record.id, announcement);
    return true;
  }

  async commit(record: SessionRecord, options: CommitOptions, announcement: string): Promise<CommitResult> {
    if (options.ttlSeconds !== undefined) assertTtlSeconds(options.ttlSeconds);
    assertAnnouncement(announcement);
    const current = this.live(record.id);
    if (!current) return "missing";
    if (current.incarnation !== options.expect.incarnation || current.version !== options.expect.version) return "conflict";
    const expiresAt = options.ttlSeconds === undefined ? current.expiresAt : this.now() + options.ttlSeconds * 1000;
    this.records.set(record.id, this.entry(record, expiresAt));
    this.announce(record.id, announcement);
    return "committed";
  }

  async delete(id: string, incarnation: number, announcement: string): Promise<boolean> {
    assertAnnouncement(announcement);
    const current = this.live(id);
    if (!current || current.incarnation !== incarnation) return false;
    this.records.delete(id);
    this.announce(id, announcement);
    return true;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const broker of this.brokers) void broker.close();
  }

  private announce(channel: string, payload: string): void {
    for (const broker of this.brokers) broker.announce(channel, payload);
  }

  private entry(record: SessionRecord, expiresAt: number): Entry {
    // Written by an older version: no incarnation stored, so it is derived as on Redis.
    const incarnation = record.incarnation ?? record.createdAt * LEGACY_INCARNATION_FACTOR;
    return { json: JSON.stringify(record), incarnation, version: record.version, expiresAt };
  }

  /** The entry if present and not expired; drops it when expired (lazy expiry). */
  private live(id: string): Entry | undefined {
    const entry = this.records.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.records.delete(id);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.records) {
      if (entry.expiresAt <= now) this.records.delete(id);
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
