/**
 * Who may open another stream. Streams are the one thing a client holds for hours, so a flood of
 * them is what exhausts a process (memory, file descriptors) and takes /health down with it.
 * Two caps, both answered 503 too_many_streams with Retry-After: MAX_STREAMS per hub (per
 * process on the Node host) and, when set, MAX_STREAMS_PER_CLIENT per client address. An event
 * stream counts once per session it carries. A draining process admits no stream at all (503
 * draining): its clients are to open them on another replica.
 */
import type { Limits } from "../options.js";
import { AppError } from "./errors.js";

export interface TrustedProxy {
  /** Lower-case header name, e.g. x-forwarded-for. */
  header: string;
  /** Which entry to take, counting from the right: 1 is the one the nearest proxy appended. */
  hops: number;
}

/** Seconds a refused client is told to wait: streams end as viewers leave, not on a schedule. */
const RETRY_AFTER_SECONDS = "5";

const tooMany = (message: string) => new AppError("too_many_streams", message, { "Retry-After": RETRY_AFTER_SECONDS });
/** A draining process is unready, so the retry reaches another replica: no reason to wait long. */
const DRAINING_RETRY_AFTER_SECONDS = "1";

export const drainingError = () =>
  new AppError("draining", "this server is shutting down and opens no new streams; open it again", {
    "Retry-After": DRAINING_RETRY_AFTER_SECONDS,
  });

/**
 * Where a request's connection comes from: the host's HostHooks. `clientAddress` is read only
 * where a cap needs it, since on the Node host the first read of a connection's peer is a
 * getpeername call (about 4 % of the server's busy time in a CPU profile of stream admissions).
 */
export interface Peer {
  readonly clientAddress?: string | undefined;
}

/**
 * The client a request counts against: the address the trusted proxy recorded, when one is
 * configured and its header is present, else the connection's peer (the host's `clientAddress`).
 * A proxy appends the address it saw to X-Forwarded-For, so only entries from the right are its
 * own; anything to their left was written by the client and proves nothing. With fewer entries
 * than `hops`, the left-most is taken. Without a trusted proxy the header is never read.
 */
export function clientKey(request: Request, peer: Peer | undefined, proxy: TrustedProxy | undefined): string | undefined {
  if (proxy) {
    const entries = (request.headers.get(proxy.header) ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    if (entries.length > 0) return entries[Math.max(0, entries.length - proxy.hops)];
  }
  return peer?.clientAddress;
}

export class StreamAdmission {
  private readonly perClient = new Map<string, number>();
  private draining = false;

  constructor(
    private readonly limits: Pick<Limits, "maxStreams" | "maxStreamsPerClient">,
    private readonly proxy: TrustedProxy | undefined,
  ) {}

  /**
   * Throws 503 when the caps are reached. Returns the client's key when the stream now counts
   * against it (release it when the stream ends), undefined when no per-client cap applies.
   * The caller joins the hub without awaiting in between, so the open-stream count it checked
   * is still the count it adds to. `streams`: how many the request opens (an event stream's sessions).
   */
  admit(request: Request, openStreams: number, peer: Peer | undefined, streams = 1): string | undefined {
    if (this.draining) throw drainingError();
    if (openStreams + streams > this.limits.maxStreams) {
      throw tooMany(`this server holds its maximum of ${this.limits.maxStreams} streams; retry later`);
    }
    const max = this.limits.maxStreamsPerClient;
    if (max === 0) return undefined;
    const key = clientKey(request, peer, this.proxy);
    if (key === undefined) return undefined;
    const held = this.perClient.get(key) ?? 0;
    if (held + streams > max) throw tooMany(`this client holds its maximum of ${max} streams; close one or retry later`);
    this.perClient.set(key, held + streams);
    return key;
  }

  release(key: string, streams = 1): void {
    const held = this.perClient.get(key) ?? 0;
    if (held <= streams) this.perClient.delete(key);
    else this.perClient.set(key, held - streams);
  }

  /** From now on every stream is refused with 503 draining. */
  drain(): void {
    this.draining = true;
  }

  /** Streams counted against one client now (tests, diagnostics). */
  heldBy(key: string): number {
    return this.perClient.get(key) ?? 0;
  }
}
