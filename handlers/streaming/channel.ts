import { PartEncoder } from "./multipart.js";
import type { Unsubscribe } from "../ports/session-store.js";

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

interface KeepAliveGroup {
  viewers: Set<Viewer>;
  timer: ReturnType<typeof setInterval>;
}

/**
 * The local viewers of one session and the one subscription that feeds them all. Keep-alive
 * resends share one timer per interval per channel, not one per viewer.
 */
export class Channel {
  readonly encoder = new PartEncoder();
  readonly viewers = new Set<Viewer>();
  private readonly keepAlive = new Map<number, KeepAliveGroup>();
  current: Frame | null = null;
  subscription!: Promise<Unsubscribe>;
  expiresAt = Number.POSITIVE_INFINITY;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly id: string) {}

  add(viewer: Viewer, keepAliveMs: number): void {
    this.viewers.add(viewer);
    let group = this.keepAlive.get(keepAliveMs);
    if (!group) {
      const viewers = new Set<Viewer>();
      const timer = setInterval(() => {
        const frame = this.current;
        if (frame) for (const each of viewers) each.deliver(frame);
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

  /** Makes `svg` the current frame and sends it to every viewer, unless it is not newer. */
  offer(version: number, svg: string): boolean {
    if (this.current && version <= this.current.version) return false;
    this.current = { version, svg, bytes: this.encoder.frame(svg) };
    for (const viewer of this.viewers) viewer.deliver(this.current);
    return true;
  }

  /** Ends every viewer's stream with the final frame and the close delimiter. */
  end(): void {
    this.stopTimers();
    const last = this.current ? this.encoder.last(this.current.svg) : null;
    const viewers = [...this.viewers];
    this.viewers.clear();
    this.keepAlive.clear();
    for (const viewer of viewers) viewer.end(last);
  }

  stopTimers(): void {
    for (const group of this.keepAlive.values()) clearInterval(group.timer);
    clearTimeout(this.expiryTimer);
  }
}
