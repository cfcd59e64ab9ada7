/**
 * The broker port: the subscribing side of the announcements the session store makes. Each
 * process holds one broker; the hub decides which channels it needs (reference counting lives
 * in the hub alone), so subscribe and unsubscribe here are idempotent and count nothing.
 */

export interface BrokerListener {
  /** An announcement on a subscribed channel (channel = session id). */
  message(channel: string, payload: string): void;
  /**
   * Subscriptions were re-established after the connection dropped; announcements made
   * meanwhile are lost, so the channel (or, when none is named, every subscribed channel)
   * should re-read its record.
   */
  resync(channel?: string): void;
}

export interface Broker {
  /** The one listener; set once, by the hub. */
  listen(listener: BrokerListener): void;
  /** Resolves once announcements on the channel will arrive. A subscribed channel stays subscribed. */
  subscribe(channel: string): Promise<void>;
  /** Stops the channel's announcements; a channel not subscribed is left alone. */
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/** Payloads are single lines: the HTTP Redis transport carries each as one SSE line. */
export function assertAnnouncement(payload: string): void {
  // includes: a scan of a frame-sized string at memchr speed, where the regex took ten times as long.
  if (typeof payload !== "string" || payload.includes("\n") || payload.includes("\r")) {
    throw new TypeError("an announcement must be a string without raw line breaks");
  }
}
