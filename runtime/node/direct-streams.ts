import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { DirectStreams, Outlet, OutletEvents } from "../../handlers/index.js";
import { holdUntilTurnEnd } from "./turn-end.js";

const EVENTS = Symbol("rsvg.outletEvents");
const RESPONSE = Symbol("rsvg.streamResponse");
type Tagged = ServerResponse & { [EVENTS]?: OutletEvents };
/** `_httpMessage`: the response Node writes to this socket now (pipelined ones wait behind it). */
type StreamSocket = Socket & { [RESPONSE]?: Tagged; _httpMessage?: unknown };

// Shared listeners (no closure per stream): the viewer is found on the response itself.
function onDrain(this: Tagged) {
  this[EVENTS]?.drained();
}
/** Registered once per backed-up spell (ResponseOutlet.ready), not per stream. */
function onSocketDrain(this: StreamSocket) {
  const response = this[RESPONSE];
  this[RESPONSE] = undefined;
  response?.[EVENTS]?.drained();
}
function onClose(this: Tagged) {
  const events = this[EVENTS];
  this[EVENTS] = undefined;
  const socket = this.socket as StreamSocket | null;
  if (socket && socket[RESPONSE] === this) {
    socket[RESPONSE] = undefined;
    socket.off("drain", onSocketDrain);
  }
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

const CRLF = Buffer.from("\r\n", "latin1");
/**
 * A part as one chunk of the chunked encoding — its size line, the part, CRLF: the bytes
 * `response.write(part)` sends, made once per part and shared by every viewer. Node's own write
 * buffers four pieces per call on the corked socket and leaves about 1.5 KB of garbage each time
 * (docs/FACTS.md); this is one write and one Buffer reference per viewer.
 */
const framed = new WeakMap<Uint8Array, Buffer>();
function asChunk(part: Uint8Array): Buffer {
  let chunk = framed.get(part);
  if (!chunk) {
    chunk = Buffer.concat([Buffer.from(`${part.byteLength.toString(16)}\r\n`, "latin1"), asBuffer(part), CRLF]);
    framed.set(part, chunk);
  }
  return chunk;
}

/**
 * Node's backpressure as an Outlet: ready until the socket is backed up. While the response is
 * chunked and the one its socket is writing, a part goes to the socket as a ready-made chunk
 * (`asChunk`); otherwise — an HTTP/1.0 client, a response queued behind another — through
 * `response.write`. Either way the bytes on the wire are the same.
 */
class ResponseOutlet implements Outlet {
  constructor(
    private readonly response: ServerResponse,
    private readonly socket: StreamSocket | null,
  ) {}
  ready(): boolean {
    if (this.response.writableNeedDrain) return false;
    const socket = this.socket;
    if (socket === null || !socket.writableNeedDrain) return true;
    // Backed up by parts written to it directly: the socket's drain, which the response does not relay, wakes the viewer.
    if (socket[RESPONSE] !== this.response) {
      socket[RESPONSE] = this.response as Tagged;
      socket.once("drain", onSocketDrain);
    }
    return false;
  }
  write(chunk: Uint8Array): void {
    const socket = this.socket;
    if (socket !== null && chunk.byteLength > 0 && this.response.chunkedEncoding && socket._httpMessage === this.response && !socket.destroyed) {
      socket.write(asChunk(chunk));
    } else {
      this.response.write(asBuffer(chunk));
    }
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
      // The heads and first frames of the streams admitted in one turn leave together, as the turn's answers do.
      if (response.socket) holdUntilTurnEnd(response.socket);
      response.writeHead(status, headers);
      // Node sends a head not yet flushed together with the first chunk written, in one write.
      if (first) response.write(Buffer.from(first.buffer, first.byteOffset, first.byteLength));
      else response.flushHeaders();
      (response as Tagged)[EVENTS] = events;
      response.on("drain", onDrain);
      // "close" comes once; `on` spares the wrapper `once` makes, kept per open stream.
      response.on("close", onClose);
      return new ResponseOutlet(response, response.socket as StreamSocket | null);
    },
  };
}
