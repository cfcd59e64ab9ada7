import { AppError } from "./errors.js";
import { StoreUnavailableError } from "../ports/session-store.js";

/** Untrusted SVG must never run script, even when opened as a page (FACTS.md). */
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

export function errorJson(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return json(status, { error: message, code }, headers);
}

/** The one place errors become HTTP. Anything unexpected is a 500 that reveals nothing. */
export function errorResponse(error: unknown, report: (error: unknown) => void): Response {
  if (error instanceof AppError) return errorJson(error.status, error.code, error.message, error.headers);
  if (error instanceof StoreUnavailableError) {
    report(error);
    return errorJson(503, "store_unavailable", "the session store is unreachable; retry shortly", {
      "Retry-After": "1",
    });
  }
  report(error);
  return errorJson(500, "internal_error", "internal server error");
}
