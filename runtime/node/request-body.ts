import type { IncomingMessage } from "node:http";
import type { BodySource } from "../../handlers/index.js";

/**
 * The core's body reader (handlers/http/body.ts, BodySource) over Node's IncomingMessage: its
 * 'data' events straight into Buffers, with the core's limit and deadline, so a JSON write never
 * builds the web Request body, reader and AbortSignal the Fetch adapter would for `request.body`.
 * Past the limit it stops keeping bytes at once, declared length or not; the rest of an oversized
 * body is discarded as it arrives (Node dumps what the handler leaves unread once it answers).
 * A body that has wholly arrived already — a small write usually comes in the head's packet — is
 * taken from the stream's buffer at once, without a timer or listeners.
 */
export function incomingBody(incoming: IncomingMessage): BodySource {
  return {
    read(limit, timeoutMs) {
      if (incoming.readableEnded) return Promise.resolve(new Uint8Array(0));
      // Unread and all arrived — parsed to its end, or as long as declared (Node marks a message
      // complete only after its 'request' handlers ran): read() takes the buffer in one piece.
      const declared = Number(incoming.headers["content-length"]);
      const arrived = incoming.complete || (Number.isSafeInteger(declared) && incoming.readableLength === declared);
      if (arrived && incoming.readableFlowing === null) {
        if (incoming.readableLength > limit) return Promise.resolve("too_large");
        return Promise.resolve((incoming.read() as Buffer | null) ?? new Uint8Array(0));
      }
      return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (outcome: Uint8Array | "too_large" | "timed_out" | "closed") => {
          clearTimeout(timer);
          incoming.off("data", onData);
          incoming.off("end", onEnd);
          incoming.off("error", onClosed);
          incoming.off("close", onClose);
          resolve(outcome);
        };
        const onData = (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > limit) return finish("too_large");
          chunks.push(chunk);
        };
        const onEnd = () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
        const onClosed = () => finish("closed");
        const onClose = () => (incoming.readableEnded ? onEnd() : onClosed());
        // Not destroyed on timeout: the host closes the connection once the 408 is written (server.ts).
        const timer = setTimeout(() => finish("timed_out"), timeoutMs);
        incoming.on("data", onData);
        incoming.on("end", onEnd);
        incoming.on("error", onClosed);
        incoming.on("close", onClose);
      });
    },
  };
}
