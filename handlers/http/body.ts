import { DEFAULT_LIMITS } from "../options.js";
import { AppError } from "./errors.js";

const tooLarge = (limit: number) =>
  new AppError("payload_too_large", `request body exceeds ${limit} bytes`);

/** Shared: a decode without `stream` starts afresh each call. */
const decoder = new TextDecoder();
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * A JSON API write must say it is JSON. An absent Content-Type is refused too: a cross-site page
 * can send a "simple" request (no preflight) with no type or text/plain, never one typed
 * application/json, so this is what keeps other sites from creating or changing sessions.
 * Routes that take other bodies (webhook deliveries) do not use it.
 */
export function requireJsonType(request: Request): void {
  if (!JSON_TYPE.test(request.headers.get("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "request body must be sent with Content-Type: application/json");
  }
}

/**
 * When each request's body must have arrived, set as the request comes in (app.ts), so the time
 * spent before the body is read (authorizing, reading the record) counts too. The deadline is on
 * the whole body, not on the gap between bytes: a client sending one byte every few seconds
 * would otherwise hold the request open indefinitely.
 */
const DEADLINE = Symbol("rsvg.bodyDeadline");
const SOURCE = Symbol("rsvg.bodySource");
/**
 * The request itself carries its body's deadline and reader, under symbols only this module
 * knows: a WeakMap entry per request made the young-generation collections clear ephemerons on
 * every write.
 */
type BodyState = Request & { [DEADLINE]?: { at: number; timeoutMs: number }; [SOURCE]?: BodySource };

export function setBodyDeadline(request: Request, timeoutMs: number): void {
  (request as BodyState)[DEADLINE] = { at: performance.now() + timeoutMs, timeoutMs };
}

const TIMED_OUT = Symbol("timed out");

/**
 * A host's own reader of a request's body (HostHooks.body): the Node host reads its
 * IncomingMessage directly, so a write never builds the web ReadableStream, reader and
 * AbortSignal a Fetch adapter otherwise materialises for `request.body` (measured: 18–20% of the
 * serving thread's time at 50 concurrent writes). It keeps the same bounds: it stops once more
 * than `limit` bytes arrived, declared length or not (chunked bodies), and gives up after
 * `timeoutMs`; the core turns its outcome into the same errors as the web-stream path.
 */
export interface BodySource {
  read(limit: number, timeoutMs: number): Promise<Uint8Array | "too_large" | "timed_out" | "closed">;
}

/** Set by the app for a request whose host offers its own body reader. */
export function setBodySource(request: Request, source: BodySource): void {
  (request as BodyState)[SOURCE] = source;
}

/**
 * Reads a JSON request body, stopping as soon as it passes `limit` bytes so an oversized body
 * is never buffered whole, and answering 408 once the body's deadline passes.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (type && !JSON_TYPE.test(type)) {
    throw new AppError("unsupported_media_type", "request body must be application/json");
  }
  const bytes = await readBody(request, limit);
  const text = decoder.decode(bytes);
  if (text.trim() === "") throw new AppError("invalid_json", "request body is empty");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError("invalid_json", `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The raw bytes of a request body of any type (webhook signatures are over exactly these), within
 * `limit` bytes and the body's deadline; an absent body is empty.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const { at, timeoutMs } = (request as BodyState)[DEADLINE] ?? {
    at: performance.now() + DEFAULT_LIMITS.bodyTimeoutMs,
    timeoutMs: DEFAULT_LIMITS.bodyTimeoutMs,
  };
  const source = (request as BodyState)[SOURCE];
  if (source) {
    const read = await source.read(limit, Math.max(0, at - performance.now()));
    if (read === "too_large") throw tooLarge(limit);
    if (read === "timed_out") throw new AppError("request_timeout", `the request body did not arrive within ${timeoutMs} ms`);
    if (read === "closed") throw new AppError("client_closed_request", "the client closed the connection before the request body arrived");
    return new Uint8Array(read.buffer as ArrayBuffer, read.byteOffset, read.byteLength);
  }
  if (!request.body) return new Uint8Array(0);

  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, at - performance.now()));
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT;
      try {
        read = await Promise.race([reader.read(), expired]);
      } catch {
        // Only the client's side can fail a body read: it closed the connection mid-upload.
        throw new AppError("client_closed_request", "the client closed the connection before the request body arrived");
      }
      if (read === TIMED_OUT) {
        // Not cancelled: on Node that destroys the socket before the 408 is written. The host
        // closes the connection once the answer is out (runtime/node/server.ts). Runtimes on the
        // older streams spec refuse to release a reader with a read pending; it is dropped then.
        try {
          reader.releaseLock();
        } catch {
          // left locked: nothing reads this body again
        }
        throw new AppError("request_timeout", `the request body did not arrive within ${timeoutMs} ms`);
      }
      if (read.done) break;
      size += read.value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(read.value);
    }
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
