import { AppError } from "../http/errors.js";

/** Session ids become part of store keys, so only a safe alphabet is accepted (no ':' or '/'). */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && SESSION_ID.test(value);
}

export function parseSessionId(value: unknown): string {
  if (isSessionId(value)) return value;
  throw new AppError(
    "invalid_session_id",
    "session_id must be 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit",
  );
}
