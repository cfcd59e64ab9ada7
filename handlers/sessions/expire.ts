import { AppError } from "../http/errors.js";
import { NEVER, type Lifetime } from "./lifetime.js";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^(\d{1,9})\s*([smhd]?)$/;

/** Parses `90`, `"90"`, `"90s"`, `"15m"`, `"2h"`, `"1d"` into whole seconds; null when malformed. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  }
  if (typeof value !== "string") return null;
  const match = DURATION.exec(value.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] || "s") as keyof typeof UNIT_SECONDS];
  return seconds > 0 ? seconds : null;
}

/** A duration, or "never": what DEFAULT_EXPIRE and MAX_EXPIRE take; null when malformed. */
export function parseLifetime(value: unknown): Lifetime | null {
  return value === NEVER ? NEVER : parseDuration(value);
}

/**
 * A session lifetime from a request: the default when absent; "never" only when the maximum is
 * never (otherwise it is refused as malformed, as it always was); 400 when malformed or above the
 * maximum.
 */
export function parseExpire(value: unknown, defaultLifetime: Lifetime, max: Lifetime): Lifetime {
  if (value === undefined || value === null) return defaultLifetime;
  if (value === NEVER && max === NEVER) return NEVER;
  const seconds = parseDuration(value);
  if (seconds === null) {
    const never = max === NEVER ? ', or "never"' : "";
    throw new AppError(
      "invalid_expire",
      `expire must be a positive number of seconds or a duration such as "90s", "15m", "2h", "1d"${never}`,
    );
  }
  if (max !== NEVER && seconds > max) {
    throw new AppError("invalid_expire", `expire may be at most ${max} seconds`);
  }
  return seconds;
}
