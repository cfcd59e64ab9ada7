/**
 * Where a viewer's bytes go. Portable hosts get a ReadableStream body; a host that can write to
 * its connection directly (the Node host) offers DirectStreams, which skips the web-stream
 * machinery that otherwise dominates the memory of an idle stream.
 */
export interface Outlet {
  /** true when the consumer can take a chunk now. */
  ready(): boolean;
  write(chunk: Uint8Array): void;
  close(): void;
}

/** What an outlet tells its viewer. */
export interface OutletEvents {
  /** The consumer can take more: send the pending frame. */
  drained(): void;
  /** The client went away. */
  closed(): void;
}

/** Offered by a host per request: send the response head now and write bytes directly. */
export interface DirectStreams {
  /**
   * Sends the head; with `first`, together with that first chunk in one write (a new viewer costs
   * one write to its socket, not two), else at once on its own.
   */
  open(status: number, headers: Record<string, string>, events: OutletEvents, first?: Uint8Array): Outlet;
}

/** A ReadableStream that holds at most one queued chunk; pulls ask the viewer for more. */
export function readableOutlet(events: OutletEvents): { outlet: Outlet; body: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => events.drained(),
      cancel: () => events.closed(),
    },
    { highWaterMark: 1 },
  );
  return {
    body,
    outlet: {
      ready: () => (controller.desiredSize ?? 0) > 0,
      write: (chunk) => controller.enqueue(chunk),
      close: () => controller.close(),
    },
  };
}

/**
 * The response a handler returns when it has already answered through DirectStreams: one for
 * every such stream, made on first use (a Response each was about 2 % of the server's busy time
 * in a CPU profile of admissions). Nothing reads or changes it past the app's `wasSentDirectly`
 * check but its status.
 */
let directlySent: Response | null = null;

export function directResponse(): Response {
  directlySent ??= new Response(null, { status: 200 });
  return directlySent;
}

export const wasSentDirectly = (response: Response) => response === directlySent;
