import { AppError, ERROR_CODES, type ErrorCode, type ErrorDetails } from "./errors.js";
import { StoreUnavailableError } from "../ports/session-store.js";

/** Untrusted SVG must never run script, even when opened as a page (docs/FACTS.md). */
export const SVG_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
  "X-Content-Type-Options": "nosniff",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
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
