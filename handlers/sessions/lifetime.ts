/**
 * How long a session lives: a number of seconds, or "never" where the operator allows it
 * (MAX_EXPIRE=never). The lifetime a session was given is stored with it, so a session made with
 * `"renew": true` can be given the same lifetime again on every write.
 */

export const NEVER = "never";
export type Lifetime = number | typeof NEVER;

/**
 * The `expiresAt` of a session without expiry: the latest instant a JavaScript Date can hold.
 * A number rather than null, because replicas of older versions share the records and the
 * announcements and read `expiresAt` as a number: to them it is a distant expiry (their timers
 * re-check hourly, their views print a far date), where null would make the record unreadable.
 */
export const NEVER_EXPIRES_AT = 8_640_000_000_000_000;

export const expiresNever = (expiresAt: number): boolean => expiresAt >= NEVER_EXPIRES_AT;

/** The expiry a lifetime gives a session written at `now` (ms). */
export const expiryOf = (lifetime: Lifetime, now: number): number =>
  lifetime === NEVER ? NEVER_EXPIRES_AT : now + lifetime * 1000;

/** What the store is told: seconds to live, or null for no expiry at all. */
export const ttlOf = (lifetime: Lifetime): number | null => (lifetime === NEVER ? null : lifetime);

/** true when `lifetime` is longer than `max` allows. */
export function exceeds(lifetime: Lifetime, max: Lifetime): boolean {
  if (max === NEVER) return false;
  return lifetime === NEVER || lifetime > max;
}

const shorter = (a: Lifetime, b: Lifetime): Lifetime => (exceeds(a, b) ? b : a);

/** What a session knows of its lifetime; `lifetime` and `renew` are absent on records written by older versions. */
export interface LifetimeState {
  expiresAt: number;
  lifetime?: Lifetime;
  renew?: boolean;
}

/** A write's say in the lifetime: a new one (`expire`, already parsed and checked), and whether to renew. */
export interface LifetimeChange {
  expire?: Lifetime;
  renew?: boolean;
}

export interface NextLifetime extends Required<Pick<LifetimeState, "expiresAt" | "renew">> {
  lifetime?: Lifetime;
  /** For the store: undefined keeps the remaining time to live, null removes it, a number sets it. */
  ttlSeconds: number | null | undefined;
}

/**
 * The lifetime after a write at `now`:
 * - a write naming `expire` starts that lifetime afresh (and stores it);
 * - otherwise a renewing session (`renew` of the write, else the stored choice) starts its stored
 *   lifetime afresh — bounded by today's `max`, should the operator have lowered it since — or,
 *   on a record written before lifetimes were stored, `fallback` (DEFAULT_EXPIRE);
 * - otherwise the expiry stays where it was.
 */
export function nextLifetime(current: LifetimeState, change: LifetimeChange, now: number, fallback: Lifetime, max: Lifetime): NextLifetime {
  const renew = change.renew ?? current.renew ?? false;
  const given = change.expire ?? (renew ? shorter(current.lifetime ?? fallback, max) : undefined);
  if (given === undefined) {
    return { lifetime: current.lifetime, renew, expiresAt: current.expiresAt, ttlSeconds: undefined };
  }
  return { lifetime: given, renew, expiresAt: expiryOf(given, now), ttlSeconds: ttlOf(given) };
}
