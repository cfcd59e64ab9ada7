import type { IncomingMessage, ServerResponse } from "node:http";
import type { App, HostHooks } from "../../handlers/index.js";
import { plainAnswerOf, wasSentDirectly } from "../../handlers/index.js";
import { sendAtTurnEnd } from "./turn-end.js";

/**
 * Image streams and session writes are most of what a busy replica is asked, and much of their
 * cost was the Fetch adapter's: a web Request with its Headers, AbortSignal and body streams per
 * request, and the Response → ServerResponse bridge. The core reads of a request only its method,
 * URL and headers (`headers.get`), and its body only through http/body.ts, which takes the host's
 * reader (HostHooks.body). So for these routes the host hands the same app.fetch — the same
 * router, caps, auth, redirects, placeholders and headers as every other request — a minimal
 * request with exactly that, and writes the answer itself when it is not a stream. Everything
 * else goes through the adapter.
 */
export function isMinimalRoute(incoming: IncomingMessage): boolean {
  const { method, url } = incoming;
  if (url === undefined) return false;
  if (method === "GET") return url.startsWith("/stream/");
  return (method === "PATCH" || method === "PUT") && url.startsWith("/api/session/");
}

/** Header lookups of a Fetch Headers, answered from Node's parsed (lower-case) headers. */
class IncomingHeaders {
  constructor(private readonly incoming: IncomingMessage) {}
  get(name: string): string | null {
    const value = this.incoming.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }
  has(name: string): boolean {
    return this.incoming.headers[name.toLowerCase()] !== undefined;
  }
}

/** What the core reads of a request, and no more: its body is read through HostHooks.body. */
class MinimalRequest {
  readonly method: string;
  readonly headers: IncomingHeaders;
  constructor(
    readonly url: string,
    incoming: IncomingMessage,
  ) {
    this.method = incoming.method!;
    this.headers = new IncomingHeaders(incoming);
  }
}

/** The request's absolute URL as the adapter makes it (Host, else the bind address), or null when the Host makes none. */
function requestUrl(incoming: IncomingMessage, hostname: string): string | null {
  const url = `http://${incoming.headers.host ?? hostname}${incoming.url}`;
  return URL.canParse(url) ? url : null;
}

/**
 * Answers `incoming` through `app.fetch` with a minimal request; false when its URL cannot be
 * made (the caller passes it to the adapter, which answers it as it answers any bad request).
 * `closing(status)` says whether the answer must close the connection, as for every answer.
 */
export function answerMinimal(
  app: App,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  hooks: HostHooks,
  hostname: string,
  closing: (status: number) => boolean,
): boolean {
  const url = requestUrl(incoming, hostname);
  if (url === null) return false;
  // The core reads only method, url and headers.get (and the router sets params and query on it).
  const request = new MinimalRequest(url, incoming) as unknown as Request;
  void app.fetch(request, hooks).then(
    (response) => (wasSentDirectly(response) ? undefined : writeResponse(response, outgoing, closing(response.status))),
    (error: unknown) => {
      // app.fetch answers every failure itself; this is a bug, answered as the adapter would.
      outgoing.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );
  return true;
}

async function writeResponse(response: Response, outgoing: ServerResponse, close: boolean): Promise<void> {
  // A JSON answer as json() made it, with app.fetch's headers added (HostHooks.plainAnswers): its
  // text is a string end() sends in one write with the head; reading response.body or headers
  // instead would build the web stream and Headers this path exists to avoid.
  const plain = plainAnswerOf(response);
  const headers: Record<string, string> = plain ? { ...plain.headers } : {};
  if (!plain) {
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
  }
  if (close) headers["connection"] = "close";
  const body = plain ? plain.text : response.body === null ? null : Buffer.from(await response.arrayBuffer());
  if (body !== null) headers["content-length"] = String(Buffer.byteLength(body));
  // Written with the turn's other answers (turn-end.ts).
  sendAtTurnEnd(() => {
    if (outgoing.destroyed) return;
    try {
      outgoing.writeHead(response.status, headers);
      outgoing.end(body ?? undefined);
    } catch (error) {
      // A head Node refuses is this process's bug: that connection goes, the turn's other answers are written.
      outgoing.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
