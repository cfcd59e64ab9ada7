import type { Channel, Frame, Viewer } from "./channel.js";
import type { Hub } from "./hub.js";
import type { Metrics } from "../metrics.js";
import type { Outlet, OutletEvents } from "./outlet.js";

/**
 * One open stream. It never buffers without bound: its outlet holds at most one chunk, and while
 * the client reads slower than frames arrive only the newest unsent frame is kept; older ones are
 * dropped. Tens of thousands of these live at once, so it is one object with methods and no
 * per-instance closures.
 */
export class StreamViewer implements Viewer, OutletEvents {
  private outlet: Outlet | null = null;
  private channel: Channel | null = null;
  private pending: Uint8Array | null = null;
  private started = false;
  private finished = false;

  constructor(
    private readonly hub: Hub,
    private readonly metrics: Metrics,
    /** Send every frame twice (WebKit finishes a part late). */
    private readonly doubleFrame: boolean,
  ) {}

  /** Joins the session's channel; resolves once frames published from now on will arrive. */
  async join(id: string, keepAliveMs: number): Promise<Channel> {
    this.channel = await this.hub.join(id, this, keepAliveMs);
    if (this.finished) this.hub.leave(this.channel, this);
    return this.channel;
  }

  /** Connects the viewer to where its bytes go; nothing is written before this and `start`. */
  attach(outlet: Outlet): void {
    this.outlet = outlet;
  }

  /** Writes the stream's head and the channel's current frame in one chunk. */
  start(): void {
    const frame = this.channel?.current;
    if (this.finished || !this.outlet || !frame) return;
    this.started = true;
    const head = this.channel!.encoder.head;
    const first = new Uint8Array(head.byteLength + frame.bytes.byteLength);
    first.set(head);
    first.set(frame.bytes, head.byteLength);
    this.outlet.write(first);
    if (this.doubleFrame) this.outlet.write(frame.bytes);
    this.metrics.frameDelivered();
  }

  deliver(frame: Frame): void {
    if (!this.started || this.finished) return;
    if (this.outlet!.ready()) {
      this.send(frame.bytes);
    } else {
      if (this.pending) this.metrics.frameDropped();
      this.pending = frame.bytes;
    }
  }

  /** The outlet can take more: send the newest pending frame, if any. */
  drained(): void {
    if (!this.pending || this.finished) return;
    const bytes = this.pending;
    this.pending = null;
    this.send(bytes);
  }

  end(last: Uint8Array | null): void {
    if (this.finished) return;
    if (this.outlet) {
      if (this.started && last) this.outlet.write(last);
      this.outlet.close();
    }
    this.release();
  }

  /** The client went away. */
  closed(): void {
    this.release();
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    this.pending = null;
    if (this.channel) this.hub.leave(this.channel, this);
  }

  private send(bytes: Uint8Array): void {
    this.outlet!.write(bytes);
    if (this.doubleFrame) this.outlet!.write(bytes);
    this.metrics.frameDelivered();
  }
}
