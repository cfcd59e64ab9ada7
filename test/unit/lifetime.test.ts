import { describe, expect, it } from "vitest";
import { AppError } from "../../handlers/http/errors.js";
import { parseExpire, parseLifetime } from "../../handlers/sessions/expire.js";
import { exceeds, expiresNever, expiryOf, nextLifetime, NEVER, NEVER_EXPIRES_AT, ttlOf } from "../../handlers/sessions/lifetime.js";
import { ConfigError, loadConfig } from "../../runtime/config.js";

const DAY = 86400;
const MAX = 30 * DAY;
const T = 1_800_000_000_000;
/** The message every malformed expire, "never" included, got before lifetimes without expiry existed. */
const MALFORMED = 'expire must be a positive number of seconds or a duration such as "90s", "15m", "2h", "1d"';

function refusal(value: unknown, max: number | "never"): AppError {
  try {
    parseExpire(value, DAY, max);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('"expire": "never"', () => {
  it("is accepted when MAX_EXPIRE is never", () => {
    expect(parseExpire("never", DAY, NEVER)).toBe(NEVER);
  });

  it("is refused with the message it always had when MAX_EXPIRE is a duration", () => {
    const error = refusal("never", MAX);
    expect(error).toMatchObject({ status: 400, code: "invalid_expire" });
    expect(error.message).toBe(MALFORMED);
  });

  it("with MAX_EXPIRE=never, any duration is allowed and the malformed message offers never", () => {
    expect(parseExpire("999999999d", DAY, NEVER)).toBe(999999999 * DAY);
    expect(parseExpire(undefined, NEVER, NEVER)).toBe(NEVER);
    expect(refusal("forever", NEVER).message).toBe(`${MALFORMED}, or "never"`);
    // Only the exact word: no case folding, no padding, no number.
    for (const value of ["Never", " never", "NEVER", 0, -1]) expect(refusal(value, NEVER).code).toBe("invalid_expire");
  });

  it("keeps refusing durations above a finite maximum as before", () => {
    expect(refusal("31d", MAX).message).toBe(`expire may be at most ${MAX} seconds`);
  });
});

describe("lifetimes", () => {
  it("parse as settings: a duration or never", () => {
    expect(parseLifetime("never")).toBe(NEVER);
    expect(parseLifetime("30d")).toBe(MAX);
    expect(parseLifetime("nevermore")).toBeNull();
  });

  it("compare with never as the longest", () => {
    expect(exceeds(NEVER, MAX)).toBe(true);
    expect(exceeds(MAX, NEVER)).toBe(false);
    expect(exceeds(NEVER, NEVER)).toBe(false);
    expect(exceeds(MAX + 1, MAX)).toBe(true);
    expect(exceeds(MAX, MAX)).toBe(false);
  });

  it("give an expiry and a TTL: never is the latest Date and no TTL", () => {
    expect(expiryOf(90, T)).toBe(T + 90_000);
    expect(expiryOf(NEVER, T)).toBe(NEVER_EXPIRES_AT);
    expect(new Date(NEVER_EXPIRES_AT).toISOString()).toBe("+275760-09-13T00:00:00.000Z");
    expect(Number.isNaN(new Date(NEVER_EXPIRES_AT + 1).getTime())).toBe(true);
    expect(expiresNever(NEVER_EXPIRES_AT)).toBe(true);
    expect(expiresNever(T)).toBe(false);
    expect(ttlOf(90)).toBe(90);
    expect(ttlOf(NEVER)).toBeNull();
  });
});

describe("the lifetime after a write", () => {
  const stored = { expiresAt: T + 3_000, lifetime: 3, renew: false };
  const later = T + 2_000;

  it("keeps the expiry of a session that does not renew (the store keeps its TTL)", () => {
    expect(nextLifetime(stored, {}, later, DAY, MAX)).toEqual({ lifetime: 3, renew: false, expiresAt: T + 3_000, ttlSeconds: undefined });
  });

  it("starts the stored lifetime afresh on every write of a renewing session", () => {
    const renewing = { ...stored, renew: true };
    expect(nextLifetime(renewing, {}, later, DAY, MAX)).toEqual({ lifetime: 3, renew: true, expiresAt: later + 3_000, ttlSeconds: 3 });
    // Written every 2 s with a 3 s lifetime, it is always 3 s from its last write.
    let state = nextLifetime(renewing, {}, later, DAY, MAX);
    for (let at = later + 2_000; at < later + 20_000; at += 2_000) {
      expect(at).toBeLessThan(state.expiresAt);
      state = nextLifetime(state, {}, at, DAY, MAX);
      expect(state.expiresAt).toBe(at + 3_000);
    }
  });

  it("turns renewal on with renew: true (renewing at that write) and off with renew: false (keeping the TTL)", () => {
    const on = nextLifetime(stored, { renew: true }, later, DAY, MAX);
    expect(on).toEqual({ lifetime: 3, renew: true, expiresAt: later + 3_000, ttlSeconds: 3 });
    expect(nextLifetime(on, { renew: false }, later + 1_000, DAY, MAX)).toEqual({ lifetime: 3, renew: false, expiresAt: later + 3_000, ttlSeconds: undefined });
  });

  it("a write without renew keeps the stored choice", () => {
    expect(nextLifetime({ ...stored, renew: true }, {}, later, DAY, MAX).renew).toBe(true);
    expect(nextLifetime(stored, {}, later, DAY, MAX).renew).toBe(false);
  });

  it("a new expire replaces the stored lifetime, renewing or not", () => {
    expect(nextLifetime(stored, { expire: 60 }, later, DAY, MAX)).toEqual({ lifetime: 60, renew: false, expiresAt: later + 60_000, ttlSeconds: 60 });
    expect(nextLifetime({ ...stored, renew: true }, { expire: NEVER }, later, DAY, NEVER)).toEqual({
      lifetime: NEVER,
      renew: true,
      expiresAt: NEVER_EXPIRES_AT,
      ttlSeconds: null,
    });
  });

  it("renews a record written before lifetimes were stored with DEFAULT_EXPIRE, and leaves one that does not renew alone", () => {
    const legacy = { expiresAt: T + 5_000 };
    expect(nextLifetime(legacy, {}, later, DAY, MAX)).toEqual({ lifetime: undefined, renew: false, expiresAt: T + 5_000, ttlSeconds: undefined });
    expect(nextLifetime(legacy, { renew: true }, later, DAY, MAX)).toEqual({ lifetime: DAY, renew: true, expiresAt: later + DAY * 1000, ttlSeconds: DAY });
  });

  it("bounds a renewal by today's MAX_EXPIRE, should the operator have lowered it", () => {
    const renewing = { expiresAt: NEVER_EXPIRES_AT, lifetime: NEVER, renew: true } as const;
    expect(nextLifetime(renewing, {}, later, DAY, MAX)).toMatchObject({ lifetime: MAX, expiresAt: later + MAX * 1000, ttlSeconds: MAX });
    expect(nextLifetime({ ...stored, lifetime: 2 * MAX, renew: true }, {}, later, DAY, MAX)).toMatchObject({ lifetime: MAX, ttlSeconds: MAX });
  });
});

describe("DEFAULT_EXPIRE and MAX_EXPIRE", () => {
  it("take never", () => {
    expect(loadConfig({ MAX_EXPIRE: "never" }).limits).toMatchObject({ maxExpireSeconds: NEVER, defaultExpireSeconds: DAY });
    expect(loadConfig({ MAX_EXPIRE: "never", DEFAULT_EXPIRE: "never" }).limits.defaultExpireSeconds).toBe(NEVER);
  });

  it("refuse DEFAULT_EXPIRE=never unless MAX_EXPIRE is never too, and anything else that is not a lifetime", () => {
    expect(() => loadConfig({ DEFAULT_EXPIRE: "never" })).toThrow(new ConfigError("invalid DEFAULT_EXPIRE: longer than MAX_EXPIRE"));
    expect(() => loadConfig({ MAX_EXPIRE: "forever" })).toThrow(/^invalid MAX_EXPIRE="forever": expected seconds, a duration/);
  });

  it("LOST_SESSION_GRACE_SECONDS defaults to a day, and 0 ends lost streams at once", () => {
    expect(loadConfig({}).limits.lostSessionGraceSeconds).toBe(DAY);
    expect(loadConfig({ LOST_SESSION_GRACE_SECONDS: "0" }).limits.lostSessionGraceSeconds).toBe(0);
    expect(() => loadConfig({ LOST_SESSION_GRACE_SECONDS: "1d" })).toThrow(/^invalid LOST_SESSION_GRACE_SECONDS/);
  });
});
