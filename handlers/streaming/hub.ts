import { Channel, type Viewer } from "./channel.js";
import { decodeMessage } from "./message.js";
import { StoreUnavailableError, type Store } from "../ports/session-store.js";

export type { Frame, Viewer } from "./channel.js";
export { Channel } from "./channel.js";

export interface HubOptions {
  onError: (error: unknown) => void;
  now?: () => number;
  subscribeTimeoutMs?: number;
}

/** Timers are capped (setTimeout overflows past ~24.8 days); a capped timer just checks again. */
const MAX_TIMER_MS = 60 * 60 * 1000;
/** Expiry is checked a little after the deadline, so the store has surely dropped the key. */
const EXPIRY_SLACK_MS = 250;
const EXPIRY_RETRY_MS = 5_000;

/**
 * The process-local fan-out: one store subscription per session with local viewers, whatever
 * their number; subscribed on the first viewer, unsubscribed after the last. Frames are never
 * rendered here, only forwarded. Streams end when their session is deleted or expires.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();
  private readonly now: () => number;
  private viewers = 0;

  constructor(
    private readonly store: Store,
    private readonly options: HubOptions,
  ) {
    this.now = options.now ?? Date.now;
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
    return this.channels.get(id)?.viewers.size ?? 0;
  }

  /** Adds a viewer to a session's channel; resolves once the channel's subscription is live. */
  async join(id: string, viewer: Viewer, keepAliveMs: number): Promise<Channel> {
    let channel = this.channels.get(id);
    if (!channel) {
      const created = new Channel(id);
      created.subscription = this.store.subscribe(id, {
        message: (payload) => this.receive(created, payload),
        resync: () => void this.refresh(created),
      });
      // A failed subscription must not surface as an unhandled rejection; join reports it.
      created.subscription.catch(() => {});
      this.channels.set(id, created);
      channel = created;
    }
    channel.add(viewer, keepAliveMs);
    this.viewers++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        channel.subscription,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreUnavailableError("subscription timed out")),
            this.options.subscribeTimeoutMs ?? 2_000,
          );
        }),
      ]);
    } catch (error) {
      this.leave(channel, viewer);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return channel;
  }

  leave(channel: Channel, viewer: Viewer): void {
    if (!channel.remove(viewer)) return;
    this.viewers--;
    if (channel.viewers.size === 0) this.retire(channel);
  }

  /** Takes a frame read from the store (or published) and the session's expiry. */
  offer(channel: Channel, version: number, frame: string, expiresAt: number): void {
    channel.offer(version, frame);
    if (expiresAt !== channel.expiresAt) {
      channel.expiresAt = expiresAt;
      this.scheduleExpiry(channel, expiresAt - this.now() + EXPIRY_SLACK_MS);
    }
  }

  /** A frame this process just stored: local viewers get it without waiting for pub/sub. */
  offerLocal(id: string, version: number, frame: string, expiresAt: number): void {
    const channel = this.channels.get(id);
    if (channel?.current) this.offer(channel, version, frame, expiresAt);
  }

  /** Ends every local stream of a session (deleted, expired or this process shutting down). */
  end(id: string): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    this.viewers -= channel.viewers.size;
    channel.end();
    this.retire(channel);
  }

  endAll(): void {
    for (const id of [...this.channels.keys()]) this.end(id);
  }

  private retire(channel: Channel): void {
    channel.stopTimers();
    if (this.channels.get(channel.id) !== channel) return;
    this.channels.delete(channel.id);
    channel.subscription.then((unsubscribe) => unsubscribe()).catch(this.options.onError);
  }

  private receive(channel: Channel, payload: string): void {
    const message = decodeMessage(payload);
    if (!message) return;
    if (message.type === "frame") this.offer(channel, message.version, message.frame, message.expiresAt);
    else this.end(channel.id);
  }

  private scheduleExpiry(channel: Channel, delayMs: number): void {
    clearTimeout(channel.expiryTimer);
    if (!Number.isFinite(delayMs)) return;
    channel.expiryTimer = setTimeout(() => void this.refresh(channel), Math.min(Math.max(delayMs, 0), MAX_TIMER_MS));
  }

  /**
   * Re-reads the record: after a reconnect (messages published meanwhile are lost) and when the
   * session should have expired. A missing record ends the streams.
   */
  private async refresh(channel: Channel): Promise<void> {
    if (this.channels.get(channel.id) !== channel) return;
    try {
      const record = await this.store.get(channel.id);
      if (this.channels.get(channel.id) !== channel) return;
      if (!record) return this.end(channel.id);
      channel.expiresAt = Number.NaN; // force a fresh schedule from the record
      this.offer(channel, record.version, record.frame, record.expiresAt);
    } catch (error) {
      this.options.onError(error);
      this.scheduleExpiry(channel, EXPIRY_RETRY_MS);
    }
  }
}
