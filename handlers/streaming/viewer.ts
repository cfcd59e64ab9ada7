import type { Metrics } from "../metrics.js";
import type { Part, Viewer } from "./channel.js";
import type { Hub, Membership } from "./hub.js";
import type { Outlet, OutletEvents } from "./outlet.js";

/**
 * One open stream. It never buffers without bound: its outlet holds at most one chunk, and while
 * the client reads slower than frames arrive only the newest unsent part is kept; older ones are
 * dropped. Tens of thousands of these live at once, so it is one object with methods and no
 * per-instance closures.
 */
export class StreamViewer implements Viewer, OutletEvents {
  private outlet: Outlet | null = null;
  private membership: Membership | null = null;
  private pending: Uint8Array | null = null;
  private started = false;
  private finished = false;

  constructor(
    private readonly hub: Hub,
    private readonly metrics: Metrics,
    /** Send every part twice (WebKit finishes a part late). */
    private readonly doubleFrame: boolean,
  ) {}

  /**
   * Joins the session's channel; resolves once later frames will arrive and the current one is
   * known. false when the stream already ended meanwhile (session deleted, server stopping).
   */
  async join(id: string, keepAliveMs: number): Promise<boolean> {
    const membership = await this.hub.join(id, this, keepAliveMs);
    this.membership = membership;
    if (this.finished) membership.leave();
    return !this.finished;
  }

  /** The stream's response headers: `base` with its channel's Content-Type (shared, frozen). */
  headersWith(base: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    return this.membership!.headersWith(base);
  }

  /** Connects the viewer to where its bytes go; nothing is written before this and `start`. */
  attach(outlet: Outlet): void {
    this.outlet = outlet;
  }

  /** Writes the stream's head and the current part in one chunk. */
  start(): void {
    if (!this.outlet) return;
    const first = this.opening();
    if (!first) return;
    this.outlet.write(first);
    this.opened();
  }

  /**
   * The stream's first chunk: its head and the current part, or null when it cannot start (it
   * ended meanwhile). A host that writes the response head itself sends it together with this, in
   * one write (DirectStreams.open's `first`); `opened` must follow before anything else.
   */
  opening(): Uint8Array | null {
    if (this.finished || !this.membership) return null;
    return this.membership.opening;
  }

  /** The first chunk has been written: from now on the stream takes parts. */
  opened(): void {
    this.started = true;
    if (this.doubleFrame) this.outlet!.write(this.membership!.current!.bytes);
    this.metrics.frameDelivered();
  }

  deliver(part: Part): void {
    if (!this.started || this.finished) return;
    if (this.outlet!.ready()) {
      this.send(part.bytes);
    } else {
      if (this.pending) this.metrics.frameDropped();
      this.pending = part.bytes;
    }
  }

  /** The outlet can take more: send the newest pending part, if any. */
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
    this.membership?.leave();
  }

  private send(bytes: Uint8Array): void {
    this.outlet!.write(bytes);
    if (this.doubleFrame) this.outlet!.write(bytes);
    this.metrics.frameDelivered();
  }
}
