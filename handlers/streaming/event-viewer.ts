import { concat } from "../bytes.js";
import { notFound } from "../http/errors.js";
import type { Metrics } from "../metrics.js";
import { compareFrameIds, type FrameId } from "../sessions/record.js";
import type { Part, Viewer } from "./channel.js";
import {
  alreadySeen,
  endEvent,
  formatCursor,
  frameEvent,
  KEEP_ALIVE,
  retryField,
  type EndReason,
  type EventForm,
} from "./event-stream.js";
import type { Hub, Membership } from "./hub.js";
import type { Outlet, OutletEvents } from "./outlet.js";

/**
 * The reconnect delay each stream announces (`retry:`), spread over a second so that the clients
 * of a replica that dies do not all come back in the same instant; under two seconds, so a page
 * shows the newest frame soon after a replica answers again.
 */
const RETRY_MS = 500;
const RETRY_SPREAD_MS = 1_000;
/** What a draining replica announces before it ends the stream: reconnect now, spread over a second. */
const DRAIN_RETRY_SPREAD_MS = 1_000;

/** One session of an event stream, as that session's channel sees it. */
class SessionTap implements Viewer {
  membership: Membership | null = null;
  ended = false;

  constructor(
    private readonly stream: EventStreamViewer,
    readonly session: string,
  ) {}

  deliver(part: Part): void {
    this.stream.frame(this, part);
  }

  end(): void {
    this.stream.sessionEnded(this);
  }
}

/** The open event streams of one app: a draining server ends them all, and keeps its image streams. */
export class EventStreams {
  private readonly open = new Set<EventStreamViewer>();

  get size(): number {
    return this.open.size;
  }

  add(stream: EventStreamViewer): void {
    this.open.add(stream);
  }

  delete(stream: EventStreamViewer): void {
    this.open.delete(stream);
  }

  /** Ends every event stream so its client reconnects at once; returns how many there were. */
  reconnectAll(): number {
    const streams = [...this.open];
    for (const stream of streams) stream.reconnect();
    return streams.length;
  }
}

export interface EventStreamOptions {
  form: EventForm;
  /** What the client already shows (its Last-Event-ID): those frames are not sent again. */
  seen: ReadonlyMap<string, FrameId>;
  keepAliveMs: number;
  /** Called once when the stream is over, whichever way it ends. */
  onFinish: () => void;
}

/**
 * One event stream (GET /events): one connection carrying the frames of one or more sessions,
 * each joined to its session's channel through a tap. Like an image stream it never buffers
 * without bound: while the client reads slowly only the newest unsent frame of each session is
 * kept.
 */
export class EventStreamViewer implements OutletEvents {
  private outlet: Outlet | null = null;
  /** Sessions whose frames this stream still carries. */
  private readonly taps = new Map<string, SessionTap>();
  /** The frame last sent (or already shown by the client) per session: the multi form's event id. */
  private readonly sent = new Map<string, FrameId>();
  private readonly pending = new Map<SessionTap, Part>();
  /** Sessions that ended, or never existed, before the stream started: told at start. */
  private readonly endedEarly: [string, EndReason][] = [];
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private started = false;
  private finished = false;

  constructor(
    private readonly hub: Hub,
    private readonly metrics: Metrics,
    private readonly registry: EventStreams,
    private readonly options: EventStreamOptions,
  ) {}

  /** Sessions the stream still carries. */
  get sessions(): number {
    return this.taps.size;
  }

  /**
   * Joins every session's channel at once. Sessions that do not exist are told `end` at start;
   * 404 when none exists. Any other failure (the store) leaves every channel joined so far and
   * throws. Either way a failed join has finished the stream.
   */
  async join(ids: readonly string[]): Promise<void> {
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        const tap = new SessionTap(this, id);
        this.taps.set(id, tap);
        try {
          tap.membership = await this.hub.join(id, tap, this.options.keepAliveMs);
        } catch (error) {
          this.taps.delete(id);
          throw error;
        }
        // Ended while joining (deleted, or this server draining): the channel has let it go.
        if (tap.ended || this.finished) tap.membership.leave();
      }),
    );
    const failed = results.find(
      (result): result is PromiseRejectedResult =>
        result.status === "rejected" && (result.reason as { code?: string }).code !== "not_found",
    );
    if (failed) {
      this.finish(false);
      throw failed.reason;
    }
    results.forEach((result, i) => {
      if (result.status === "rejected") this.endedEarly.push([ids[i]!, "not_found"]);
    });
    if (this.taps.size === 0) {
      this.finish(false);
      throw notFound(ids.length === 1 ? `session ${ids[0]}` : `every session of ${ids.join(",")}`);
    }
  }

  /** Connects the stream to where its bytes go; nothing is written before this and `start`. */
  attach(outlet: Outlet): void {
    this.outlet = outlet;
    this.registry.add(this);
  }

  /** Writes the reconnect delay, what ended early, and each session's current frame the client lacks, in one chunk. */
  start(): void {
    if (this.finished || !this.outlet) return;
    this.started = true;
    const chunks = [retryField(RETRY_MS + Math.random() * RETRY_SPREAD_MS)];
    for (const [session, reason] of this.endedEarly) chunks.push(endEvent(session, reason));
    for (const tap of this.taps.values()) {
      const part = tap.membership?.current;
      if (!part) continue;
      this.sent.set(tap.session, part.id);
      if (alreadySeen(this.options.seen.get(tap.session), part)) continue;
      chunks.push(this.event(tap, part));
    }
    this.outlet.write(concat(chunks));
    if (this.taps.size === 0) return this.finish(true);
    this.keepAlive = setInterval(() => this.tick(), this.options.keepAliveMs);
  }

  /** @internal SessionTap: a newer frame of one session, or its channel's keep-alive resend. */
  frame(tap: SessionTap, part: Part): void {
    if (!this.started || this.finished || tap.ended) return;
    const last = this.sent.get(tap.session);
    if (last && compareFrameIds(part.id, last) <= 0) return;
    if (this.outlet!.ready()) {
      this.outlet!.write(this.event(tap, part));
    } else {
      if (this.pending.has(tap)) this.metrics.frameDropped();
      this.pending.set(tap, part);
    }
  }

  /** @internal SessionTap: the session was deleted or expired. */
  sessionEnded(tap: SessionTap): void {
    if (tap.ended) return;
    tap.ended = true;
    this.taps.delete(tap.session);
    this.pending.delete(tap);
    this.sent.delete(tap.session);
    tap.membership?.leave();
    if (this.finished) return;
    if (!this.started) {
      this.endedEarly.push([tap.session, "ended"]);
      return;
    }
    this.outlet!.write(endEvent(tap.session, "ended"));
    if (this.taps.size === 0) this.finish(true);
  }

  /** The outlet can take more: send the newest pending frame of each session. */
  drained(): void {
    if (this.pending.size === 0 || this.finished) return;
    const parts = [...this.pending];
    this.pending.clear();
    this.outlet!.write(concat(parts.map(([tap, part]) => this.event(tap, part))));
  }

  /** The client went away. */
  closed(): void {
    this.finish(false);
  }

  /** This server is draining or stopping: end the stream without `end`, so the client reconnects now. */
  reconnect(): void {
    if (this.finished) return;
    if (this.started) this.outlet!.write(retryField(Math.random() * DRAIN_RETRY_SPREAD_MS));
    this.finish(true);
  }

  private event(tap: SessionTap, part: Part): Uint8Array {
    this.sent.set(tap.session, part.id);
    this.metrics.frameDelivered();
    return frameEvent(this.options.form, tap.session, part, () => formatCursor(this.sent));
  }

  private tick(): void {
    if (!this.finished && this.outlet!.ready()) this.outlet!.write(KEEP_ALIVE);
  }

  private finish(close: boolean): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.keepAlive);
    for (const tap of this.taps.values()) {
      tap.ended = true;
      tap.membership?.leave();
    }
    this.taps.clear();
    this.pending.clear();
    this.registry.delete(this);
    if (close) this.outlet?.close();
    this.options.onFinish();
  }
}
