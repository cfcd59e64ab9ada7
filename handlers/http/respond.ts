import { AppError, ERROR_CODES, type ErrorCode, type ErrorDetails } from "./errors.js";
import { StoreUnavailableError } from "../ports/session-store.js";

/** Untrusted SVG must never run script, even when opened as a page (docs/FACTS.md). */
export const SVG_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
  "X-Content-Type-Options": "nosniff",
};

/**
 * The text body of each JSON answer, by its Response: a host that writes answers itself (the Node
 * host's minimal requests) sends it as it is, without having the Response make a web stream of
 * it. A Response is immutable, so the text stays its body; one copied with new headers is
 * another object and is not found here.
 */
const textBodies = new WeakMap<Response, string>();

/** The body of a Response json() made, or undefined for any other. */
export const textBodyOf = (response: Response): string | undefined => textBodies.get(response);

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
  textBodies.set(response, text);
  return response;
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
