import type { ServerResponse } from "node:http";
import type { DirectStreams, Outlet, OutletEvents } from "../../handlers/index.js";

const EVENTS = Symbol("rsvg.outletEvents");
type Tagged = ServerResponse & { [EVENTS]?: OutletEvents };

// Shared listeners (no closure per stream): the viewer is found on the response itself.
function onDrain(this: Tagged) {
  this[EVENTS]?.drained();
}
function onClose(this: Tagged) {
  const events = this[EVENTS];
  this[EVENTS] = undefined;
  events?.closed();
}

/**
 * Node wraps every non-Buffer chunk in a new Buffer on each write; a frame is written to every
 * viewer, so wrap it once and share the wrapper (same memory, no copy).
 */
const wrapped = new WeakMap<Uint8Array, Buffer>();
function asBuffer(chunk: Uint8Array): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  let buffer = wrapped.get(chunk);
  if (!buffer) {
    buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    wrapped.set(chunk, buffer);
  }
  return buffer;
}

/** Node's backpressure as an Outlet: ready until write() says the socket is backed up. */
class ResponseOutlet implements Outlet {
  constructor(private readonly response: ServerResponse) {}
  ready(): boolean {
    return !this.response.writableNeedDrain;
  }
  write(chunk: Uint8Array): void {
    this.response.write(asBuffer(chunk));
  }
  close(): void {
    this.response.end();
  }
}

/**
 * Lets stream handlers write to the Node response directly (answered to @hono/node-server with
 * RESPONSE_ALREADY_SENT) instead of through a web ReadableStream: per idle stream that saves the
 * reader, its pending read and the bridge's closures and promises, about half of an open stream's
 * heap. Backpressure is Node's own: writableNeedDrain, then 'drain'.
 */
export function directStreams(response: ServerResponse): DirectStreams {
  return {
    open(status, headers, events, first) {
      response.writeHead(status, headers);
      // Node sends a head not yet flushed together with the first chunk written, in one write.
      if (first) response.write(Buffer.from(first.buffer, first.byteOffset, first.byteLength));
      else response.flushHeaders();
      (response as Tagged)[EVENTS] = events;
      response.on("drain", onDrain);
      response.once("close", onClose);
      return new ResponseOutlet(response);
    },
  };
}
