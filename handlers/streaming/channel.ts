import { compareFrameIds, type FrameId } from "../sessions/record.js";
import { PartEncoder } from "./multipart.js";

/** A stored frame as viewers receive it: encoded once per channel, the same bytes for every viewer. */
export interface Part {
  id: FrameId;
  svg: string;
  bytes: Uint8Array;
}

/** One open stream, as a channel sees it. */
export interface Viewer {
  deliver(part: Part): void;
  /** The stream is over: write `last` (final frame and close delimiter) and close. */
  end(last: Uint8Array | null): void;
}

interface KeepAliveGroup {
  viewers: Set<Viewer>;
  timer: ReturnType<typeof setInterval>;
}

/**
 * The local viewers of one session and its current part. Keep-alive resends share one timer
 * per interval per channel, not one per viewer. Only the hub makes and drives channels.
 */
export class Channel {
  private readonly encoder = new PartEncoder();
  private readonly viewers = new Set<Viewer>();
  private readonly keepAlive = new Map<number, KeepAliveGroup>();
  private latest: Part | null = null;

  constructor(readonly id: string) {}

  get size(): number {
    return this.viewers.size;
  }

  get current(): Part | null {
    return this.latest;
  }

  get contentType(): string {
    return this.encoder.contentType;
  }

  /** Written once per stream, before its first part. */
  get head(): Uint8Array {
    return this.encoder.head;
  }

  add(viewer: Viewer, keepAliveMs: number): void {
    this.viewers.add(viewer);
    let group = this.keepAlive.get(keepAliveMs);
    if (!group) {
      const viewers = new Set<Viewer>();
      const timer = setInterval(() => {
        const part = this.latest;
        if (part) for (const each of viewers) each.deliver(part);
      }, keepAliveMs);
      group = { viewers, timer };
      this.keepAlive.set(keepAliveMs, group);
    }
    group.viewers.add(viewer);
  }

  /** false when the viewer was not (or no longer) here. */
  remove(viewer: Viewer): boolean {
    if (!this.viewers.delete(viewer)) return false;
    for (const [interval, group] of this.keepAlive) {
      if (!group.viewers.delete(viewer)) continue;
      if (group.viewers.size === 0) {
        clearInterval(group.timer);
        this.keepAlive.delete(interval);
      }
      break;
    }
    return true;
  }

  /** Makes the frame current and sends it to every viewer; false (and nothing sent) unless it is newer. */
  offer(id: FrameId, svg: string): boolean {
    if (this.latest && compareFrameIds(id, this.latest.id) <= 0) return false;
    this.latest = { id, svg, bytes: this.encoder.part(svg) };
    for (const viewer of this.viewers) viewer.deliver(this.latest);
    return true;
  }

  /** Ends every viewer's stream with the final frame and the close delimiter. */
  end(): void {
    this.stopKeepAlive();
    const last = this.latest ? this.encoder.lastPart(this.latest.svg) : null;
    const viewers = [...this.viewers];
    this.viewers.clear();
    for (const viewer of viewers) viewer.end(last);
  }

  stopKeepAlive(): void {
    for (const group of this.keepAlive.values()) clearInterval(group.timer);
    this.keepAlive.clear();
  }
}
