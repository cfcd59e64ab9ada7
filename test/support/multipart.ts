/** A test-side multipart/x-mixed-replace reader: yields each part once the next delimiter arrives. */
import { conditions } from "./conditions.js";

export interface StreamReader {
  /** Bytes received before the first boundary. */
  preambleBytes(): number;
  /** Resolves with the next complete frame, rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves when the close delimiter has arrived and the body ended. */
  ended(timeoutMs?: number): Promise<void>;
  frames: string[];
  close(): void;
}

export function readMultipart(response: Response): StreamReader {
  const match = /boundary=([^;\s]+)/.exec(response.headers.get("content-type") ?? "");
  if (!match || !response.body) throw new Error(`not a multipart stream: ${response.headers.get("content-type")}`);
  const delimiter = `--${match[1]}`;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const frames: string[] = [];
  let buffer = "";
  let preamble = -1;
  let closed = false;
  let finished = false;
  let consumed = 0;
  const { wake, until: waitUntil } = conditions();

  function parse() {
    if (preamble < 0) {
      const first = buffer.indexOf(`${delimiter}\r\n`);
      if (first < 0) return;
      preamble = new TextEncoder().encode(buffer.slice(0, first)).byteLength;
      buffer = buffer.slice(first + delimiter.length + 2);
    }
    for (;;) {
      const headerEnd = buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const next = buffer.indexOf(`\r\n${delimiter}`, headerEnd + 4);
      if (next < 0) return;
      frames.push(buffer.slice(headerEnd + 4, next));
      const after = buffer.slice(next + 2 + delimiter.length);
      if (after.startsWith("--")) {
        closed = true;
        buffer = "";
        return;
      }
      if (!after.startsWith("\r\n")) return;
      buffer = after.slice(2);
    }
  }

  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        parse();
        wake();
      }
    } catch {
      // aborted by close()
    }
    finished = true;
    wake();
  })();

  const waitFor = (ready: () => boolean, timeoutMs: number, what: string) => waitUntil(ready, timeoutMs, () => what);

  return {
    frames,
    preambleBytes: () => preamble,
    async next(timeoutMs = 5_000) {
      await waitFor(() => frames.length > consumed || finished, timeoutMs, "a frame");
      if (frames.length <= consumed) throw new Error("stream ended");
      return frames[consumed++]!;
    },
    async ended(timeoutMs = 5_000) {
      await waitFor(() => finished, timeoutMs, "the end of the stream");
      if (!closed) throw new Error("stream ended without the close delimiter");
    },
    close() {
      reader.cancel().catch(() => {});
    },
  };
}
