import { concat } from "../bytes.js";
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

/** Runs a task soon, after what the event loop has waiting (the Node host: the turn's end, after its answers). */
export type Defer = (task: () => void) => void;

export const deferByTimer: Defer = (task) => {
  setTimeout(task, 0);
};

/**
 * At most this many viewers are written to before a fan-out yields to the event loop, and
 * fewer when FANOUT_SLICE_MS runs out first. A write to one socket costs 10–19 µs of wall
 * time on a 2-core machine, from one run to the next (the bare broadcaster's send to last viewer:
 * 10–19 µs a viewer at 1,000, 14–18 µs at 10,000). `npm run bench`: 256 made a 1,000-viewer
 * fan-out 1.23× the bare broadcaster's (p50), 512 gave 1.03× there.
 */
export const FANOUT_SLICE = 512;

/**
 * A slice stops once it has run this long (checked every FANOUT_CLOCK_EVERY viewers), so the
 * event loop waits for a fan-out at most about this long however slow each write is. A count
 * alone cannot do it: 512 viewers at 10,000 took 9–12 ms a slice (event-loop delay p99 19–22 ms,
 * 10 ms tick included).
 */
export const FANOUT_SLICE_MS = 6;

/** How many viewers a slice writes between two looks at the clock. */
export const FANOUT_CLOCK_EVERY = 16;

/** One part on its way to the viewers the channel had when it became current. */
interface Fanout {
  part: Part;
  viewers: Viewer[];
  next: number;
}

/**
 * The local viewers of one session and its current part. Keep-alive resends share one timer
 * per interval per channel, not one per viewer. Only the hub makes and drives channels.
 *
 * A part reaches its viewers in slices (FANOUT_SLICE viewers or FANOUT_SLICE_MS, whichever
 * ends first), the first at once and each next one after the event loop has had its turn
 * (`defer`), so a large fan-out never holds the process.
 * A newer part replaces a fan-out still under way: viewers not yet written get only the newer
 * one, as a backed-up viewer would. Viewers joining meanwhile start with the current part anyway.
 */
export class Channel {
  private readonly encoder = new PartEncoder();
  private readonly viewers = new Set<Viewer>();
  private readonly keepAlive = new Map<number, KeepAliveGroup>();
  private latest: Part | null = null;
  /** Parts on their way, oldest first: the current part's fan-out and keep-alive resends. */
  private fanouts: Fanout[] = [];
  private sliceQueued = false;
  /** `opening`, and the part it was made of. */
  private first: { part: Part; bytes: Uint8Array } | null = null;
  /** `headersWith`'s last answer, and the headers it was made from. */
  private head: { base: Readonly<Record<string, string>>; headers: Readonly<Record<string, string>> } | null = null;

  constructor(
    readonly id: string,
    private readonly defer: Defer = deferByTimer,
    /** Milliseconds, for FANOUT_SLICE_MS. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.viewers.size;
  }

  get current(): Part | null {
    return this.latest;
  }

  get contentType(): string {
    return this.encoder.contentType;
  }

  /**
   * `base` and this channel's Content-Type: a stream's response headers, made once per channel
   * and shared by its streams (in a CPU profile of admissions, a copy per stream was two thirds of
   * the stream route's own time).
   */
  headersWith(base: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    if (this.head?.base !== base) this.head = { base, headers: Object.freeze({ ...base, "Content-Type": this.contentType }) };
    return this.head.headers;
  }

  /**
   * A new stream's first chunk: the head and the current part in one, made once per part and
   * shared by every viewer that starts while it is current (null before the first frame).
   */
  get opening(): Uint8Array | null {
    const part = this.latest;
    if (part === null) return null;
    if (this.first?.part !== part) this.first = { part, bytes: concat([this.encoder.head, part.bytes]) };
    return this.first.bytes;
  }

  add(viewer: Viewer, keepAliveMs: number): void {
    this.viewers.add(viewer);
    let group = this.keepAlive.get(keepAliveMs);
    if (!group) {
      const viewers = new Set<Viewer>();
      const timer = setInterval(() => {
        if (this.latest) this.spread(this.latest, [...viewers], false);
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
    this.spread(this.latest, [...this.viewers], true);
    return true;
  }

  /** true while a part is still on its way to some viewers. */
  get fanningOut(): boolean {
    return this.fanouts.length > 0;
  }

  /** A new part (`replaces`) supersedes every fan-out under way: it goes to all viewers. */
  private spread(part: Part, viewers: Viewer[], replaces: boolean): void {
    if (replaces) this.fanouts = [];
    this.fanouts.push({ part, viewers, next: 0 });
    if (!this.sliceQueued) this.slice();
  }

  private readonly slice = (): void => {
    this.sliceQueued = false;
    const until = this.now() + FANOUT_SLICE_MS;
    let budget = FANOUT_SLICE;
    while (budget > 0 && this.fanouts.length > 0) {
      const fanout = this.fanouts[0]!;
      const end = Math.min(fanout.next + budget, fanout.viewers.length);
      let i = fanout.next;
      while (i < end) {
        const stop = Math.min(i + FANOUT_CLOCK_EVERY, end);
        for (; i < stop; i++) fanout.viewers[i]!.deliver(fanout.part);
        if (i < end && this.now() >= until) break;
      }
      budget = i < end ? 0 : budget - (end - fanout.next);
      fanout.next = i;
      // A viewer's deliver may have ended the channel, which drops every fan-out.
      if (this.fanouts[0] === fanout && i === fanout.viewers.length) this.fanouts.shift();
    }
    if (this.fanouts.length === 0) return;
    this.sliceQueued = true;
    this.defer(this.slice);
  };

  /** Ends every viewer's stream with the final frame and the close delimiter. */
  end(): void {
    this.stopKeepAlive();
    this.fanouts = [];
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
