/**
 * Who may start another preview render. A preview stores nothing, so nothing else limits how
 * often a client asks for one, and each costs a render (for html, a render process's turn): a
 * studio typing fast, or a script looping, could keep the render processes busy for the writes
 * that store frames. Two caps on previews in flight, counted from admission (before the body is
 * read, so slow bodies count too) until the answer: MAX_PREVIEWS_PER_CLIENT per client address,
 * 429 too_many_previews (the client's own doing: wait for an answer before asking again), and
 * MAX_PREVIEWS per process, 503 previews_busy (the server's state). Both with Retry-After.
 *
 * It lives in Services, so on the edge host the counts are per isolate: the per-client cap does
 * not apply there (the worker has no trusted client address; http/admission.ts), the process
 * cap bounds one isolate, and the platform's CPU limit bounds each render.
 */
import { clientKey, type Peer, type TrustedProxy } from "../http/admission.js";
import { AppError } from "../http/errors.js";
import type { Limits } from "../options.js";

/** A preview takes one render, RENDER_TIMEOUT_MS (250 ms by default) or a render process's deadline: a second is plenty. */
const RETRY_AFTER_SECONDS = "1";

export class PreviewAdmission {
  private inFlight = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly limits: Pick<Limits, "maxPreviews" | "maxPreviewsPerClient">,
    private readonly proxy: TrustedProxy | undefined,
  ) {}

  /** Counts a preview in, or throws 429/503; the returned function counts it out, once. */
  admit(request: Request, peer: Peer | undefined): () => void {
    const max = this.limits.maxPreviewsPerClient;
    const key = max === 0 ? undefined : clientKey(request, peer, this.proxy);
    const held = key === undefined ? 0 : (this.perClient.get(key) ?? 0);
    if (key !== undefined && held >= max) {
      throw new AppError(
        "too_many_previews",
        `this client has its maximum of ${max} previews rendering (MAX_PREVIEWS_PER_CLIENT); wait for one to answer`,
        { "Retry-After": RETRY_AFTER_SECONDS },
      );
    }
    if (this.inFlight >= this.limits.maxPreviews) {
      throw new AppError("previews_busy", `this server renders its maximum of ${this.limits.maxPreviews} previews (MAX_PREVIEWS); retry shortly`, {
        "Retry-After": RETRY_AFTER_SECONDS,
      });
    }
    this.inFlight++;
    if (key !== undefined) this.perClient.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (key === undefined) return;
      const now = this.perClient.get(key) ?? 0;
      if (now <= 1) this.perClient.delete(key);
      else this.perClient.set(key, now - 1);
    };
  }

  /** Previews rendering now, in all and for one client key (tests, diagnostics). */
  held(key?: string): number {
    return key === undefined ? this.inFlight : (this.perClient.get(key) ?? 0);
  }
}
