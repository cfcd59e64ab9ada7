import type { Frame, Viewer } from "./channel.js";
import type { Metrics } from "./metrics.js";

export interface StreamViewerOptions {
  /** Send every frame twice (WebKit finishes a part late). */
  doubleFrame: boolean;
  metrics: Metrics;
  /** Called once when the client goes away or the stream ends. */
  onClose: () => void;
}

/**
 * One viewer's response body. It never buffers without bound: the stream's own queue holds at
 * most one chunk, and while the client reads slower than frames arrive only the newest unsent
 * frame is kept; older ones are dropped.
 */
export class StreamViewer implements Viewer {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pending: Uint8Array | null = null;
  private started = false;
  private closed = false;

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
    const first = new Uint8Array(head.byteLength + frame.bytes.byteLength);
    first.set(head);
    first.set(frame.bytes, head.byteLength);
    this.controller.enqueue(first);
    if (this.options.doubleFrame) this.controller.enqueue(frame.bytes);
    this.options.metrics.frameDelivered();
  }

  deliver(frame: Frame): void {
    if (!this.started || this.closed) return;
    if ((this.controller.desiredSize ?? 0) > 0) {
      this.enqueue(frame.bytes);
    } else {
      if (this.pending) this.options.metrics.frameDropped();
      this.pending = frame.bytes;
    }
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

  private enqueue(bytes: Uint8Array): void {
    this.controller.enqueue(bytes);
    if (this.options.doubleFrame) this.controller.enqueue(bytes);
    this.options.metrics.frameDelivered();
  }

  private flush(): void {
    if (!this.pending || this.closed) return;
    const bytes = this.pending;
    this.pending = null;
    this.enqueue(bytes);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    this.options.onClose();
  }
}
