/**
 * The load client's stream viewers: raw `node:http` GETs (no agent, so one socket each) that
 * scan their 'data' events for a marker followed by the multipart delimiter. Nothing is parsed
 * beyond that, so the client's own cost per frame stays small. Arrival times come from `now`
 * (bench/load-client.ts passes the cross-process clock of bench/clock.ts).
 */
import http from "node:http";

export type Clock = () => number;

/** Which part of the stream a viewer waits for: `marker`, then the delimiter after it. */
interface Expectation {
  marker: string;
  onArrive: (at: number) => void;
}

export class StreamClient {
  private buffer = "";
  private expectation: Expectation | null = null;
  private delimiter = "";
  private request: http.ClientRequest | null = null;
  /** Set when the socket fails or closes before `close()`; the fleet checks it. */
  failure: Error | null = null;
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly now: Clock = () => performance.now(),
  ) {}

  /** Connects and resolves once the frame containing `firstMarker` has fully arrived. */
  open(firstMarker: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no first frame within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.failure ??= error;
        reject(error);
      };
      this.expect(firstMarker, () => {
        clearTimeout(timer);
        resolve();
      });
      const request = http.get(this.url, { agent: false }, (response) => {
        const type = response.headers["content-type"] ?? "";
        const boundary = /boundary=([^;\s]+)/.exec(type)?.[1];
        if (response.statusCode !== 200 || !boundary) {
          response.resume();
          fail(new Error(`GET ${this.url}: ${response.statusCode} ${type}`));
          return;
        }
        // The wire format: frame bytes, then CRLF, the boundary line, and the next part's headers.
        this.delimiter = `\r\n--${boundary}\r\n`;
        response.setEncoding("latin1");
        response.on("data", (chunk: string) => this.receive(chunk));
        response.on("error", (error) => fail(error));
        response.on("close", () => {
          if (!this.closing) fail(new Error("stream closed by the server"));
        });
      });
      request.on("error", (error) => {
        if (!this.closing) fail(error);
      });
      this.request = request;
    });
  }

  /** From now on, wait for `marker`; `onArrive` gets the time of its arrival on this client's clock. */
  expect(marker: string, onArrive: (at: number) => void): void {
    this.buffer = "";
    this.expectation = { marker, onArrive };
  }

  close(): void {
    this.closing = true;
    this.request?.destroy();
  }

  private receive(chunk: string): void {
    const expectation = this.expectation;
    if (!expectation) return; // nothing awaited: bytes are dropped, not kept
    this.buffer += chunk;
    const at = this.buffer.indexOf(expectation.marker);
    if (at < 0) {
      // Keep just enough to find a marker split across two chunks.
      this.buffer = this.buffer.slice(-expectation.marker.length);
      return;
    }
    if (this.buffer.indexOf(this.delimiter, at + expectation.marker.length) < 0) {
      this.buffer = this.buffer.slice(at);
      return;
    }
    const now = this.now();
    this.expectation = null;
    this.buffer = "";
    expectation.onArrive(now);
  }
}

/** When the first and the last viewer of a fleet had one frame, on the fleet's clock. */
export interface Arrival {
  first: number;
  last: number;
}

/** N viewers of one stream URL, opened with bounded concurrency (no SYN-backlog overflow). */
export class Fleet {
  readonly clients: StreamClient[] = [];

  constructor(
    readonly url: string,
    private readonly now: Clock = () => performance.now(),
  ) {}

  /** Viewers whose socket failed or was closed by the server. */
  get failed(): number {
    return this.clients.reduce((count, client) => count + (client.failure ? 1 : 0), 0);
  }

  /**
   * Opens `count` more viewers, at most `concurrency` connecting at a time, each done once its first
   * frame (the one with `firstMarker`) has arrived. Stops opening at the first failure and
   * rejects once the ones in flight have settled.
   */
  async open(count: number, firstMarker: string, concurrency = 50, timeoutMs = 20_000): Promise<void> {
    let next = 0;
    const opened = this.clients.length;
    const state: { failure: Error | null } = { failure: null };
    const worker = async () => {
      while (next < count && !state.failure) {
        next++;
        const client = new StreamClient(this.url, this.now);
        this.clients.push(client);
        await client.open(firstMarker, timeoutMs).catch((error: Error) => {
          state.failure ??= error;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    if (state.failure) {
      throw new Error(
        `opening ${count} viewers: ${this.failed} of the ${this.clients.length - opened} tried failed, the first with: ${state.failure.message}`,
      );
    }
  }

  /**
   * Arms every viewer for `marker` before anything is sent, then resolves with the arrival time
   * of the first and the last viewer, or rejects after `timeoutMs`.
   */
  expectAll(marker: string, timeoutMs: number): Promise<Arrival> {
    return new Promise<Arrival>((resolve, reject) => {
      const broken = this.clients.find((client) => client.failure)?.failure;
      if (broken) {
        reject(new Error(`${this.failed} of ${this.clients.length} viewers have failed (${broken.message})`));
        return;
      }
      let remaining = this.clients.length;
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      const timer = setTimeout(() => {
        const failed = this.clients.find((client) => client.failure)?.failure;
        reject(
          new Error(
            `${remaining} of ${this.clients.length} viewers lacked frame ${marker} after ${timeoutMs} ms` +
              (failed ? ` (a viewer failed: ${failed.message})` : ""),
          ),
        );
      }, timeoutMs);
      timer.unref();
      for (const client of this.clients) {
        client.expect(marker, (at) => {
          if (at < first) first = at;
          if (at > last) last = at;
          if (--remaining === 0) {
            clearTimeout(timer);
            resolve({ first, last });
          }
        });
      }
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
