import { AppError, ERROR_CODES, type ErrorCode, type ErrorDetails } from "./errors.js";
import { StoreUnavailableError } from "../ports/session-store.js";

/** Untrusted SVG must never run script, even when opened as a page (docs/FACTS.md). */
export const SVG_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
  "X-Content-Type-Options": "nosniff",
};

/** A JSON answer as json() made it: what a host that writes answers itself sends. */
export interface PlainAnswer {
  readonly text: string;
  /** As json() was given them; for a host that says it writes plain answers, app.fetch adds its own here. */
  readonly headers: Record<string, string>;
}

/**
 * Each JSON answer's text and headers, on its Response: a host that writes answers itself (the
 * Node host's minimal requests) sends them as they are, without having the Response make a web
 * stream of its body or a Headers object of its headers (HostHooks.plainAnswers). A Response is
 * immutable, so the text stays its body; one copied with new headers is another object and is
 * not found here.
 */
const PLAIN = Symbol("rsvg.plainAnswer");
type WithPlain = Response & { [PLAIN]?: PlainAnswer };

/** What json() made of a Response, or undefined for any other (it is kept on the Response, under a symbol of this module's, as body.ts keeps its state). */
export const plainAnswerOf = (response: Response): PlainAnswer | undefined => (response as WithPlain)[PLAIN];

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonText(status, JSON.stringify(body), headers);
}

/** As json(), for a body already encoded (json-text.ts). */
export function jsonText(status: number, text: string, headers: Record<string, string> = {}): Response {
  const all = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers };
  const response = new Response(text, { status, headers: { ...all } });
  (response as WithPlain)[PLAIN] = { text, headers: all };
  return response;
}

/**
 * Adds `extra` to `headers` as app.fetch adds its headers to every answer: a header already there
 * stays, except `Vary`, which is appended to.
 */
export function addPlainHeaders(headers: Record<string, string>, extra: Record<string, string>): void {
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    const present = Object.keys(headers).find((key) => key.toLowerCase() === lower);
    if (present === undefined) headers[name] = value;
    else if (lower === "vary") headers[present] = `${headers[present]}, ${value}`;
  }
}

export function errorJson(code: ErrorCode, message: string, headers: Record<string, string> = {}, details: ErrorDetails = {}): Response {
  return json(ERROR_CODES[code].status, { error: message, code, ...details }, headers);
}

/** The one place errors become HTTP. Anything unexpected is a 500 that reveals nothing. */
export function errorResponse(error: unknown, report: (error: unknown) => void): Response {
  if (error instanceof AppError) return errorJson(error.code, error.message, error.headers, error.details);
  report(error);
  if (error instanceof StoreUnavailableError) {
    return errorJson("store_unavailable", "the session store is unreachable; retry shortly", { "Retry-After": "1" });
  }
  return errorJson("internal_error", "internal server error");
}
