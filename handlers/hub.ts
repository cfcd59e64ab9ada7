import { decodeMessage } from "./channel-message.js";
import { PartEncoder } from "./multipart.js";
import { StoreUnavailableError, type Store, type Unsubscribe } from "./store.js";

/** A frame as viewers receive it: encoded once per channel, the same bytes for every viewer. */
export interface Frame {
  version: number;
  svg: string;
  bytes: Uint8Array;
}

/** One open stream, as the hub sees it. */
export interface Viewer {
  deliver(frame: Frame): void;
  /** The stream is over: write `last` (final frame and close delimiter) and close. */
  end(last: Uint8Array | null): void;
}

/** The local viewers of one session and the one subscription that feeds them all. */
export class Channel {
  readonly encoder = new PartEncoder();
  readonly viewers = new Set<Viewer>();
  current: Frame | null = null;
  subscription!: Promise<Unsubscribe>;

  constructor(readonly id: string) {}

  /** Makes `svg` the current frame and sends it to every viewer, unless it is not newer. */
  offer(version: number, svg: string): boolean {
    if (this.current && version <= this.current.version) return false;
    this.current = { version, svg, bytes: this.encoder.frame(svg) };
    for (const viewer of this.viewers) viewer.deliver(this.current);
    return true;
  }

  end(): void {
    const last = this.current ? this.encoder.last(this.current.svg) : null;
    const viewers = [...this.viewers];
    this.viewers.clear();
    for (const viewer of viewers) viewer.end(last);
  }
}

/**
 * The process-local fan-out: one store subscription per session with local viewers, whatever
 * their number; subscribed on the first viewer, unsubscribed after the last. Frames are never
 * rendered here, only forwarded.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly store: Store,
    private readonly onError: (error: unknown) => void,
    private readonly subscribeTimeoutMs = 2_000,
  ) {}

  get channelCount(): number {
    return this.channels.size;
  }

  get viewerCount(): number {
    let count = 0;
    for (const channel of this.channels.values()) count += channel.viewers.size;
    return count;
  }

  /** Local viewers of one session (0 when the process holds no channel for it). */
  viewersOf(id: string): number {
    return this.channels.get(id)?.viewers.size ?? 0;
  }

  /** Adds a viewer to a session's channel; resolves once the channel's subscription is live. */
  async join(id: string, viewer: Viewer): Promise<Channel> {
    let channel = this.channels.get(id);
    if (!channel) {
      const created = new Channel(id);
      created.subscription = this.store.subscribe(id, {
        message: (payload) => this.receive(created, payload),
        resync: () => void this.resync(created),
      });
      // A failed subscription must not surface as an unhandled rejection; join reports it.
      created.subscription.catch(() => {});
      this.channels.set(id, created);
      channel = created;
    }
    channel.viewers.add(viewer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        channel.subscription,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new StoreUnavailableError("subscription timed out")), this.subscribeTimeoutMs);
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
    if (!channel.viewers.delete(viewer) || channel.viewers.size > 0) return;
    this.retire(channel);
  }

  /** Ends every local stream of a session (deleted, expired or this process shutting down). */
  end(id: string): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    channel.end();
    this.retire(channel);
  }

  endAll(): void {
    for (const id of [...this.channels.keys()]) this.end(id);
  }

  private retire(channel: Channel): void {
    if (this.channels.get(channel.id) === channel) this.channels.delete(channel.id);
    channel.subscription.then((unsubscribe) => unsubscribe()).catch(this.onError);
  }

  private receive(channel: Channel, payload: string): void {
    const message = decodeMessage(payload);
    if (!message) return;
    if (message.type === "frame") channel.offer(message.version, message.frame);
    else this.end(channel.id);
  }

  /** After a reconnect, messages published meanwhile are lost: re-read the record. */
  private async resync(channel: Channel): Promise<void> {
    try {
      const record = await this.store.get(channel.id);
      if (record) channel.offer(record.version, record.frame);
      else if (this.channels.get(channel.id) === channel) this.end(channel.id);
    } catch (error) {
      this.onError(error);
    }
  }
}
