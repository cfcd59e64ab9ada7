import { AppError } from "../http/errors.js";

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

/** A session lifetime from a request: default when absent, 400 when malformed or above the maximum. */
export function parseExpire(value: unknown, defaultSeconds: number, maxSeconds: number): number {
  if (value === undefined || value === null) return defaultSeconds;
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new AppError(
      "invalid_expire",
      'expire must be a positive number of seconds or a duration such as "90s", "15m", "2h", "1d"',
    );
  }
  if (seconds > maxSeconds) {
    throw new AppError("invalid_expire", `expire may be at most ${maxSeconds} seconds`);
  }
  return seconds;
}
