import type { Frame, Viewer } from "./hub.js";

export interface StreamViewerOptions {
  keepAliveMs: number;
  /** Send every frame twice (WebKit finishes a part late). */
  doubleFrame: boolean;
  /** Called once when the client goes away or the stream ends. */
  onClose: () => void;
}

/**
 * One viewer's response body. It never buffers without bound: when the client reads slower than
 * frames arrive, only the newest unsent frame is kept and older ones are dropped.
 */
export class StreamViewer implements Viewer {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pending: Uint8Array | null = null;
  private latest: Frame | null = null;
  private started = false;
  private closed = false;
  private keepAlive: ReturnType<typeof setTimeout> | undefined;
  /** Frames replaced before they could be written (for metrics and tests). */
  dropped = 0;

  constructor(private readonly options: StreamViewerOptions) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.flush(),
        cancel: () => this.close(),
      },
      { highWaterMark: 1 },
    );
  }

  /** Writes the stream's head and the current frame in one chunk. */
  start(head: Uint8Array, frame: Frame): void {
    if (this.closed) return;
    this.started = true;
    this.latest = frame;
    const first = new Uint8Array(head.byteLength + frame.bytes.byteLength);
    first.set(head);
    first.set(frame.bytes, head.byteLength);
    this.controller.enqueue(first);
    if (this.options.doubleFrame) this.controller.enqueue(frame.bytes);
    this.scheduleKeepAlive();
  }

  deliver(frame: Frame): void {
    this.latest = frame;
    if (!this.started || this.closed) return;
    this.write(frame.bytes);
    this.scheduleKeepAlive();
  }

  end(last: Uint8Array | null): void {
    if (this.closed) return;
    if (this.started) {
      this.pending = null;
      if (last) this.controller.enqueue(last);
    }
    this.controller.close();
    this.close();
  }

  private write(bytes: Uint8Array): void {
    if ((this.controller.desiredSize ?? 0) > 0) {
      this.controller.enqueue(bytes);
      if (this.options.doubleFrame) this.controller.enqueue(bytes);
    } else {
      if (this.pending) this.dropped++;
      this.pending = bytes;
    }
  }

  private flush(): void {
    if (!this.pending || this.closed) return;
    const bytes = this.pending;
    this.pending = null;
    this.controller.enqueue(bytes);
    if (this.options.doubleFrame) this.controller.enqueue(bytes);
  }

  private scheduleKeepAlive(): void {
    clearTimeout(this.keepAlive);
    this.keepAlive = setTimeout(() => {
      if (this.latest && !this.closed) this.deliver(this.latest);
    }, this.options.keepAliveMs);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    clearTimeout(this.keepAlive);
    this.options.onClose();
  }
}
