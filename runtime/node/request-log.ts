import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { infoLineWriter } from "./logger.js";

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Query parameters whose values never reach a log line. */
const SECRET_QUERY = /([?&](?:token|api_key|write_token)=)[^&]*/gi;
/** A token hook's credential in the path: /hook/HOOK_ID/SECRET. */
const SECRET_PATH = /^(\/hook\/[^/?]+\/)[^/?]+/;
const STARTED = Symbol("rsvg.started");

/**
 * As nginx logs it: the client closed the connection before any answer was sent (an aborted
 * upload, a viewer gone before its first byte). Nothing was delivered, and it is not the server's
 * failure, so it is neither a 5xx nor an error line.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** The path as logged: a hook's credential and secret query values masked (most paths have neither). */
export function loggedPath(url: string): string {
  if (!url.includes("?") && !url.includes("&") && !url.startsWith("/hook/")) return url;
  return url.replace(SECRET_PATH, "$1***").replace(SECRET_QUERY, "$1***");
}

/**
 * One JSON line per request, written when the response closes (for streams: when they end).
 * The close listener is shared, not a closure per request: streams are many and long-lived.
 */
export function logRequests(listener: Listener, log: Logger): Listener {
  const write = infoLineWriter(log);
  function onClose(this: ServerResponse & { [STARTED]?: number }) {
    const req = this.req;
    const ua = req.headers["user-agent"];
    // As log.info({ method, path, status, ms, completed, ua }, "request") writes it.
    write(
      `"method":${JSON.stringify(req.method ?? "")},"path":${JSON.stringify(loggedPath(req.url ?? ""))},` +
        `"status":${this.headersSent ? this.statusCode : CLIENT_CLOSED_REQUEST},"ms":${Math.round(performance.now() - (this[STARTED] ?? 0))},` +
        `"completed":${this.writableFinished}${ua === undefined ? "" : `,"ua":${JSON.stringify(ua)}`}`,
      "request",
    );
  }
  return (req, res) => {
    (res as ServerResponse & { [STARTED]?: number })[STARTED] = performance.now();
    // "close" is emitted once; `on` spares the wrapper `once` makes per request.
    res.on("close", onClose);
    return listener(req, res);
  };
}
