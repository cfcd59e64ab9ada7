import type {
  SessionRecord,
  Store,
  SubscribeHandlers,
  Unsubscribe,
  UpdateOptions,
  UpdateResult,
} from "../../handlers/ports/session-store.js";
import { assertPayload, assertTtlSeconds } from "./keys.js";

export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds; tests inject one to make expiry deterministic. */
  now?: () => number;
  /** How often expired records are swept out (default 60 s). */
  sweepIntervalMs?: number;
}

interface Entry {
  /** The record as JSON: a copy callers cannot mutate, with the same shape Redis would return. */
  json: string;
  owner: string | undefined;
  expiresAt: number;
}

interface Registration {
  handlers: SubscribeHandlers;
  active: boolean;
}

/** Single-process store: state lives in this process only (the embedded default). */
export class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly records = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<Registration>>();
  private readonly now: () => number;
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    // Lazy expiry alone would keep records nobody reads again forever.
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweepTimer.unref?.();
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id);
    return entry ? (JSON.parse(entry.json) as SessionRecord) : null;
  }

  async create(record: SessionRecord, ttlSeconds: number): Promise<boolean> {
    assertTtlSeconds(ttlSeconds);
    if (this.live(record.id)) return false;
    this.records.set(record.id, this.entry(record, this.now() + ttlSeconds * 1000));
    return true;
  }

  async update(record: SessionRecord, options: UpdateOptions): Promise<UpdateResult> {
    if (options.ttlSeconds !== undefined) assertTtlSeconds(options.ttlSeconds);
    const current = this.live(record.id);
    if (!current) return "missing";
    const stored = JSON.parse(current.json) as SessionRecord;
    if (stored.version !== options.expectVersion) return "conflict";
    const expiresAt =
      options.ttlSeconds === undefined ? current.expiresAt : this.now() + options.ttlSeconds * 1000;
    this.records.set(record.id, this.entry(record, expiresAt));
    return "updated";
  }

  async delete(id: string): Promise<boolean> {
    const existed = this.live(id) !== undefined;
    this.records.delete(id);
    return existed;
  }

  async listByOwner(owner: string): Promise<string[]> {
    const ids: string[] = [];
    for (const id of [...this.records.keys()]) {
      if (this.live(id)?.owner === owner) ids.push(id);
    }
    return ids.sort();
  }

  async ping(): Promise<void> {}

  async publish(channel: string, payload: string): Promise<void> {
    assertPayload(payload);
    const registrations = this.channels.get(channel);
    if (!registrations) return;
    // Snapshot now: a listener that subscribes after this publish must not see it.
    for (const registration of [...registrations]) {
      // Asynchronous like a real broker, so publishers never run listener code inline.
      queueMicrotask(() => {
        if (registration.active) registration.handlers.message(payload);
      });
    }
  }

  async subscribe(channel: string, handlers: SubscribeHandlers): Promise<Unsubscribe> {
    // A fresh object per call: the same handlers subscribed twice are two registrations.
    const registration: Registration = { handlers, active: true };
    let registrations = this.channels.get(channel);
    if (!registrations) {
      registrations = new Set();
      this.channels.set(channel, registrations);
    }
    registrations.add(registration);
    return async () => {
      registration.active = false; // stops messages already queued as microtasks
      const current = this.channels.get(channel);
      if (!current) return;
      current.delete(registration);
      if (current.size === 0) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const registrations of this.channels.values()) {
      for (const registration of registrations) registration.active = false;
    }
    this.channels.clear();
  }

  private entry(record: SessionRecord, expiresAt: number): Entry {
    return { json: JSON.stringify(record), owner: record.owner, expiresAt };
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
