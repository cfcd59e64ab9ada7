import { AppError, SessionNotFound } from "../http/errors.js";
import type { Metrics } from "../metrics.js";
import type { Broker } from "../ports/broker.js";
import {
  StoreUnavailableError,
  type CommitOptions,
  type CommitResult,
  type SessionStore,
} from "../ports/session-store.js";
import { compareFrameIds, frameIdOf, type FrameId, type SessionRecord } from "../sessions/record.js";
import { Channel, deferByTimer, type Defer, type Part, type Viewer } from "./channel.js";
import { decodeMessage, endMessage, frameMessage } from "./message.js";

export type { Part, Viewer } from "./channel.js";

export interface HubOptions {
  onError: (error: unknown) => void;
  metrics: Metrics;
  now?: () => number;
  /** Bound of a first viewer's wait for its channel's subscription, ms. */
  subscribeTimeoutMs?: number;
  /** How long streams of a session lost with the store's data stay open, ms (LOST_SESSION_GRACE_SECONDS; default 1 day). */
  lostSessionGraceMs?: number;
  /** How local delivery yields to the event loop (AppOptions.defer); default a zero-delay timer. */
  defer?: Defer;
}

/** Timers are capped (setTimeout overflows past ~24.8 days); a capped timer just checks again. */
const MAX_TIMER_MS = 60 * 60 * 1000;
/** Expiry is checked a little after the deadline, so the store has surely dropped the key. */
const EXPIRY_SLACK_MS = 250;
const EXPIRY_RETRY_MS = 5_000;
const DEFAULT_LOST_SESSION_GRACE_MS = 24 * 60 * 60 * 1000;

interface Entry {
  channel: Channel;
  /** Settles once the channel is subscribed and holds the session's frame. */
  ready: Promise<void>;
  /** `ready` has resolved: joiners need not wait (nor arm a timer each). */
  loaded: boolean;
  expiryTimer?: ReturnType<typeof setTimeout>;
  /** The expiry that came with the current frame. */
  expiresAt: number;
  /** When a re-check first found the record lost (gone before its expiry, with no tombstone); cleared by a newer frame. */
  lostAt?: number;
}

/** A viewer's place in a channel, from join until it leaves. */
export interface Membership {
  /** `base` with the channel's Content-Type, one shared object per channel (Channel.headersWith). */
  headersWith(base: Readonly<Record<string, string>>): Readonly<Record<string, string>>;
  /** A stream's first chunk: its head and the current part, one shared array per part (null before the first frame). */
  readonly opening: Uint8Array | null;
  readonly current: Part | null;
  leave(): void;
}

/**
 * This process's side of every session: it makes the changes (each stored and announced in one
 * store operation) and delivers frames to local viewers. One broker subscription per session
 * with local viewers, whatever their number: subscribed on the first, unsubscribed after the
 * last; the first also reads the record. Frames are ordered by incarnation, then version, so an
 * older frame (a late echo, a stale replica) changes nothing, and a re-created session's frames
 * reach streams that are still open. Streams end when the session is deleted or expires; a
 * session lost with the store's data keeps its streams open for a grace (`lost`).
 */
export class Hub {
  private readonly channels = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly defer: Defer;
  private viewers = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly broker: Broker,
    private readonly options: HubOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.defer = options.defer ?? deferByTimer;
    broker.listen({
      message: (channel, payload) => this.receive(channel, payload),
      resync: (channel) => {
        const entries = channel === undefined ? [...this.channels.values()] : [this.channels.get(channel)];
        for (const entry of entries) if (entry) void this.refresh(entry);
      },
    });
  }

  /** Sessions with local viewers, i.e. channels this process is subscribed to. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Open streams in this process. */
  get viewerCount(): number {
    return this.viewers;
  }

  /** Local viewers of one session (0 when the process holds no channel for it). */
  viewersOf(id: string): number {
    return this.channels.get(id)?.channel.size ?? 0;
  }

  /** Stores a new session and announces it; false when the id is taken. */
  async create(record: SessionRecord, ttlSeconds: number | null): Promise<boolean> {
    const created = await this.unlessFull(this.store.create(record, ttlSeconds, () => frameMessage(record)));
    if (created) this.published(record);
    return created;
  }

  /** Stores a change (compare-and-set) and announces it. */
  async commit(record: SessionRecord, options: CommitOptions): Promise<CommitResult> {
    const result = await this.unlessFull(this.store.commit(record, options, () => frameMessage(record)));
    if (result === "committed") this.published(record);
    return result;
  }

  /** Deletes the session if it is still this incarnation; its local streams end at once. */
  async remove(record: SessionRecord): Promise<boolean> {
    const removed = await this.store.delete(record.id, record.incarnation, endMessage(record.incarnation));
    const entry = this.channels.get(record.id);
    if (removed && entry) this.endUnlessNewer(entry, record.incarnation);
    return removed;
  }

  /**
   * Adds a viewer to the session's channel; resolves once frames announced from now on will
   * reach it and the channel holds the current frame. 404 when there is no such session.
   */
  async join(id: string, viewer: Viewer, keepAliveMs: number): Promise<Membership> {
    const entry = this.channels.get(id) ?? this.open(id);
    entry.channel.add(viewer, keepAliveMs);
    this.viewers++;
    const membership = new ChannelMembership(this, entry, viewer);
    if (entry.loaded) return membership;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        entry.ready,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreUnavailableError("subscription timed out")),
            this.options.subscribeTimeoutMs ?? 2_000,
          );
        }),
      ]);
    } catch (error) {
      membership.leave();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return membership;
  }

  /**
   * A full store (the memory store past its caps, Redis at maxmemory) refuses a write with 507
   * store_full. Other AppErrors are the client's to fix and go unlogged; this one an operator must
   * see, so it is counted and reported. It is no outage: reads, streams and /ready go on working.
   */
  private async unlessFull<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof AppError && error.code === "store_full") {
        this.options.metrics.storeFull();
        this.options.onError(error);
      }
      throw error;
    }
  }

  /** Ends every local stream (this process is shutting down). */
  endAll(): void {
    for (const entry of [...this.channels.values()]) this.end(entry);
  }

  /** @internal ChannelMembership.leave */
  leave(entry: Entry, viewer: Viewer): void {
    if (!entry.channel.remove(viewer)) return;
    this.viewers--;
    if (entry.channel.size === 0) this.retire(entry);
  }

  private open(id: string): Entry {
    const entry: Entry = { channel: new Channel(id, this.defer), ready: Promise.resolve(), loaded: false, expiresAt: Number.POSITIVE_INFINITY };
    this.channels.set(id, entry);
    entry.ready = this.load(entry);
    // Joiners see the failure; an unawaited rejection must not surface as unhandled.
    entry.ready.catch(() => {});
    return entry;
  }

  /** Subscribe first, then read: a frame announced in between is then not missed. */
  private async load(entry: Entry): Promise<void> {
    const id = entry.channel.id;
    try {
      await this.broker.subscribe(id);
      if (!entry.channel.current) {
        const found = await this.store.lookup(id);
        if (found.state !== "live") throw new SessionNotFound(id, found.state === "deleted");
        this.offer(entry, frameIdOf(found.record), found.record.frame, found.record.expiresAt);
      }
      entry.loaded = true;
    } catch (error) {
      // Later joiners start afresh instead of inheriting this failure.
      if (this.channels.get(id) === entry) {
        this.channels.delete(id);
        this.broker.unsubscribe(id).catch(this.options.onError);
      }
      throw error;
    }
  }

  private retire(entry: Entry): void {
    entry.channel.stopKeepAlive();
    clearTimeout(entry.expiryTimer);
    const id = entry.channel.id;
    if (this.channels.get(id) !== entry) return;
    this.channels.delete(id);
    this.broker.unsubscribe(id).catch(this.options.onError);
  }

  private end(entry: Entry): void {
    this.viewers -= entry.channel.size;
    entry.channel.end();
    this.retire(entry);
  }

  /** A deletion's end reaches streams of that incarnation or an older one, never a newer one. */
  private endUnlessNewer(entry: Entry, incarnation: number | undefined): void {
    const current = entry.channel.current;
    if (incarnation !== undefined && current && current.id.incarnation > incarnation) return;
    this.end(entry);
  }

  /** Makes the frame current if it is newer; only then may it move the expiry (and end a loss: the session is back). */
  private offer(entry: Entry, id: FrameId, frame: string, expiresAt: number): void {
    if (!entry.channel.offer(id, frame)) return;
    entry.lostAt = undefined;
    this.scheduleExpiry(entry, expiresAt);
  }

  /**
   * A change this process stored: local viewers get it right after the writer's answer (deferred:
   * the write's promise settles and its response is written first), without waiting for the
   * echo, then in slices (channel.ts), so a write is never answered late for its viewers.
   */
  private published(record: SessionRecord): void {
    this.options.metrics.framePublished();
    if (!this.channels.has(record.id)) return;
    this.defer(() => {
      const entry = this.channels.get(record.id);
      if (entry) this.offer(entry, frameIdOf(record), record.frame, record.expiresAt);
    });
  }

  /**
   * What the channel announces — another replica's frames and deletes, or the echo of this
   * process's own write — is handled deferred, in arrival order and after `published`'s hand-offs
   * queued before it: the echo of a write often arrives in the same turn of the event loop as the
   * store's answer to it, and fanning out first held that write's answer back by a whole slice
   * (FANOUT_SLICE viewers or FANOUT_SLICE_MS).
   */
  private receive(channel: string, payload: string): void {
    if (!this.channels.has(channel)) return;
    const message = decodeMessage(payload);
    if (!message) return;
    this.defer(() => {
      const entry = this.channels.get(channel);
      if (!entry) return;
      if (message.type === "end") return this.endUnlessNewer(entry, message.incarnation);
      // Older replicas announce no incarnation: their frames belong to the one on screen.
      const incarnation = message.incarnation ?? entry.channel.current?.id.incarnation ?? 0;
      this.offer(entry, { incarnation, version: message.version }, message.frame, message.expiresAt);
    });
  }

  private scheduleExpiry(entry: Entry, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    this.recheckAt(entry, expiresAt + EXPIRY_SLACK_MS);
  }

  private recheckAt(entry: Entry, at: number): void {
    clearTimeout(entry.expiryTimer);
    const delay = at - this.now();
    if (!Number.isFinite(delay)) return;
    entry.expiryTimer = setTimeout(() => void this.refresh(entry), Math.min(Math.max(delay, 0), MAX_TIMER_MS));
  }

  /**
   * Re-reads the record: after a reconnect (announcements made meanwhile are lost), when the
   * session should have expired, and when a lost session's grace is over. A deleted session (its
   * tombstone names this incarnation or a later one) or an expired one ends the streams; a lost one
   * does not, yet (`lost`).
   */
  private async refresh(entry: Entry): Promise<void> {
    const id = entry.channel.id;
    if (this.channels.get(id) !== entry) return;
    try {
      const found = await this.store.lookup(id);
      if (this.channels.get(id) !== entry) return;
      const current = entry.channel.current;
      if (found.state === "deleted" && !(current && current.id.incarnation > found.incarnation)) return this.end(entry);
      if (found.state !== "live") return this.lost(entry);
      const { record } = found;
      const recordId = frameIdOf(record);
      if (!current || compareFrameIds(recordId, current.id) >= 0) entry.channel.offer(recordId, record.frame);
      entry.lostAt = undefined;
      this.scheduleExpiry(entry, record.expiresAt);
    } catch (error) {
      this.options.onError(error);
      clearTimeout(entry.expiryTimer);
      entry.expiryTimer = setTimeout(() => void this.refresh(entry), EXPIRY_RETRY_MS);
    }
  }

  /**
   * The record is gone, but not by a delete (no tombstone, or one of an older incarnation than on
   * screen): expired, if its expiry has passed; otherwise lost with the store's data (restarted
   * empty, evicted, failed over). Lost streams keep their last frame and their subscription, so a
   * re-created session (a later incarnation) reaches them; they end at the expiry they knew or when
   * the grace since the loss was first seen is over, whichever comes first.
   */
  private lost(entry: Entry): void {
    const now = this.now();
    entry.lostAt ??= now;
    const deadline = Math.min(entry.expiresAt, entry.lostAt + (this.options.lostSessionGraceMs ?? DEFAULT_LOST_SESSION_GRACE_MS));
    if (now >= deadline) return this.end(entry);
    this.recheckAt(entry, deadline);
  }
}

class ChannelMembership implements Membership {
  private left = false;

  constructor(
    private readonly hub: Hub,
    private readonly entry: Entry,
    private readonly viewer: Viewer,
  ) {}

  headersWith(base: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    return this.entry.channel.headersWith(base);
  }

  get opening(): Uint8Array | null {
    return this.entry.channel.opening;
  }

  get current(): Part | null {
    return this.entry.channel.current;
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.hub.leave(this.entry, this.viewer);
  }
}
