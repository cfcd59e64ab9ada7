/**
 * One channel's subscription over the Upstash REST protocol (`POST /subscribe/<channel>`, an SSE
 * stream of `data: subscribe,<ch>,<n>` then `data: message,<ch>,<payload>` lines), kept alive.
 *
 * @upstash/redis's own subscribe() is not used: when its stream ends or fails it only logs to the
 * console and stops, so a listener would never learn its subscription is gone. Here every way a
 * stream can die is noticed — it ends, it errors, or it falls silent — and the subscription is
 * re-established with backoff, after which `onResync` runs (messages published meanwhile are lost).
 *
 * A quiet channel and a dead stream look alike, so silence is probed: after `heartbeatMs` without
 * a byte, a heartbeat is published on the channel itself; a live stream carries it back within
 * `heartbeatTimeoutMs`, a dead one does not and is replaced.
 * Portable: fetch, AbortController, TextDecoder and timers only.
 */

export interface ChannelSubscriptionOptions {
  /** REST base URL without a trailing slash. */
  url: string;
  token: string;
  /** The full channel name (with the key prefix). */
  channel: string;
  /** Bound of each connect, from request to the subscribe confirmation, ms. */
  connectTimeoutMs: number;
  /** Silence after which a heartbeat is published on the channel, ms. */
  heartbeatMs: number;
  /** Further silence after the heartbeat after which the stream counts as dead, ms. */
  heartbeatTimeoutMs: number;
  /** Reconnect delays grow from minMs to maxMs (doubling, with jitter). */
  backoff: { minMs: number; maxMs: number };
  onMessage(payload: string): void;
  /** The subscription came back after a loss; anything published meanwhile was missed. */
  onResync(): void;
  /** Publishes the heartbeat payload on this channel (through the command client). */
  sendHeartbeat(): Promise<void>;
  /** Connection trouble, once per outage (not per retry). */
  onTrouble(error: Error): void;
}

/** Published to probe a quiet stream; every subscriber skips it (handlers ignore unknown types). */
export const HEARTBEAT_PAYLOAD = '{"type":"heartbeat"}';

interface Connection {
  controller: AbortController;
  lines: SseLines;
}

export class ChannelSubscription {
  private closed = false;
  /** Aborts whatever request or stream is in flight. */
  private controller: AbortController | undefined;
  private wakeBackoff: (() => void) | undefined;
  private readonly messagePrefix: string;

  constructor(private readonly options: ChannelSubscriptionOptions) {
    this.messagePrefix = `data: message,${options.channel},`;
  }

  /** Resolves once Redis confirmed the subscription; rejects (and gives up) if the first
   *  attempt fails. After that the subscription keeps itself alive until close(). */
  async open(): Promise<void> {
    let first: Connection;
    try {
      first = await this.connect();
    } catch (error) {
      this.closed = true;
      throw error;
    }
    if (this.closed) {
      first.controller.abort();
      return;
    }
    void this.keepAlive(first);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.abort(new Error("unsubscribed"));
    this.wakeBackoff?.();
  }

  private async keepAlive(first: Connection): Promise<void> {
    let connection = first;
    let failures = 0;
    for (;;) {
      const started = Date.now();
      const lost = await this.pump(connection);
      if (this.closed) return;
      // A stream that stayed up a while was healthy: start the backoff over.
      if (Date.now() - started >= this.options.backoff.maxMs) failures = 0;
      this.options.onTrouble(lost);
      for (;;) {
        await this.pause(this.delay(failures++));
        if (this.closed) return;
        try {
          connection = await this.connect();
          break;
        } catch {
          // still down: already reported for this outage; try again later
        }
      }
      if (this.closed) {
        connection.controller.abort();
        return;
      }
      this.options.onResync();
    }
  }

  /** Opens the stream and reads up to the subscribe confirmation. */
  private async connect(): Promise<Connection> {
    const { url, token, channel, connectTimeoutMs } = this.options;
    const controller = new AbortController();
    this.controller = controller;
    const timer = setTimeout(
      () => controller.abort(new Error(`no subscribe confirmation within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    try {
      const response = await fetch(`${url}/subscribe/${encodeURIComponent(channel)}`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "text/event-stream",
          "Content-Type": "application/json",
        },
        body: "[]",
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const detail = (await response.text().catch(() => "")).slice(0, 200);
        throw new Error(`subscribe answered HTTP ${response.status} ${detail}`.trim());
      }
      const lines = new SseLines(response.body.getReader());
      for (;;) {
        const line = await lines.next();
        if (line === null) throw new Error("stream ended before the subscription was confirmed");
        if (line.startsWith("data: subscribe,")) break;
      }
      return { controller, lines };
    } catch (error) {
      // Our own abort (timeout, close) explains more than the AbortError it caused.
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
      controller.abort();
      throw asError(reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Delivers messages until the stream ends, fails or falls silent; resolves with why. */
  private async pump({ controller, lines }: Connection): Promise<Error> {
    const { heartbeatMs, heartbeatTimeoutMs } = this.options;
    let lastData = Date.now();
    let probed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = (): void => {
      const silent = Date.now() - lastData;
      if (silent >= heartbeatMs + heartbeatTimeoutMs && probed) {
        controller.abort(new Error(`subscription stream silent for ${silent} ms`));
        return;
      }
      if (silent >= heartbeatMs && !probed) {
        probed = true;
        this.options.sendHeartbeat().catch(() => {}); // a failed publish shows up as silence
      }
      const next = probed ? lastData + heartbeatMs + heartbeatTimeoutMs : lastData + heartbeatMs;
      timer = setTimeout(watch, Math.max(next - Date.now(), 1));
    };
    timer = setTimeout(watch, heartbeatMs);
    try {
      for (;;) {
        const line = await lines.next(() => {
          lastData = Date.now();
          probed = false;
        });
        if (line === null) return new Error("subscription stream ended");
        if (!line.startsWith(this.messagePrefix)) continue;
        const payload = line.slice(this.messagePrefix.length);
        if (payload !== HEARTBEAT_PAYLOAD) this.options.onMessage(payload);
      }
    } catch (error) {
      return asError(controller.signal.reason ?? error);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  /** Doubling from minMs up to maxMs; the upper half is random so many isolates that lost
   *  their streams together do not reconnect in lockstep. */
  private delay(failures: number): number {
    const { minMs, maxMs } = this.options.backoff;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(failures, 20));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeBackoff = done;
    });
  }
}

/** Splits an SSE body into lines (LF or CRLF). */
class SseLines {
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private readonly ready: string[] = [];

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next line, or null at the end of the stream. `onData` runs for every chunk read. */
  async next(onData?: () => void): Promise<string | null> {
    while (this.ready.length === 0) {
      const { done, value } = await this.reader.read();
      if (done) return null;
      onData?.();
      this.buffer += this.decoder.decode(value, { stream: true });
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() ?? "";
      for (const part of parts) this.ready.push(part.endsWith("\r") ? part.slice(0, -1) : part);
    }
    return this.ready.shift() ?? null;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
