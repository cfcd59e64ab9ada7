import { AppError } from "../http/errors.js";
import type { Limits } from "../options.js";
import { NOT_XML_CHAR } from "../rendering/svg-check.js";

/**
 * A session's arguments are data from the request: any JSON object, bounded in depth and in
 * keys, holding only characters XML allows, with every key (`__proto__` and `constructor`
 * included) stored and rendered as the plain key it is.
 */

export type ArgsLimits = Pick<Limits, "maxArgsDepth" | "maxArgsKeys">;

const codePoint = (text: string) => `U+${text.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
const shown = (key: string) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);

/**
 * An argument holding a character XML 1.0 forbids (C0 controls other than tab, LF and CR, unpaired
 * surrogates, U+FFFE, U+FFFF) would make its frame ill-formed; refusing it here names the argument,
 * where the frame's check could only name the frame.
 */
function checkText(text: string, what: () => string): void {
  const bad = NOT_XML_CHAR.exec(text);
  if (bad) {
    throw new AppError(
      "invalid_args",
      `${what()} holds ${codePoint(bad[0])}, a character XML forbids (controls other than tab, LF and CR, unpaired surrogates, U+FFFE, U+FFFF)`,
    );
  }
}

/**
 * Depth, key count and characters, in one walk with an explicit stack: args come from
 * JSON.parse, which builds any depth without recursing, but JSON.stringify, LiquidJS and the
 * response recurse, and args nested 5,000 deep once overflowed the stack (a 500 instead of a 400).
 * The walk stops at the first level past the limit, so its cost is bounded by the limits.
 */
export function checkArgsShape(args: Record<string, unknown>, limits: ArgsLimits): void {
  let keys = 0;
  const stack: Array<[container: object, depth: number]> = [[args, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [container, depth] = top;
    const entries: Array<[string | null, unknown]> = Array.isArray(container)
      ? container.map((value: unknown) => [null, value])
      : Object.entries(container);
    keys += entries.length;
    if (keys > limits.maxArgsKeys) {
      throw new AppError("args_too_many_keys", `args hold more than ${limits.maxArgsKeys} keys and array elements (MAX_ARGS_KEYS)`);
    }
    for (const [key, value] of entries) {
      if (key !== null) checkText(key, () => `the args key ${shown(key)}`);
      if (typeof value === "string") {
        checkText(value, () => (key === null ? "an args array element" : `the args value of ${shown(key)}`));
      } else if (typeof value === "object" && value !== null) {
        if (depth >= limits.maxArgsDepth) {
          throw new AppError("args_too_deep", `args nest objects and arrays deeper than ${limits.maxArgsDepth} levels (MAX_ARGS_DEPTH)`);
        }
        stack.push([value, depth + 1]);
      }
    }
  }
}

/**
 * Sets `key` as an own data property. Assignment would not for `__proto__`: `merged["__proto__"] =
 * value` calls Object.prototype's setter, which drops the key (or, for an object, replaces the
 * prototype). Every other key is assigned, twenty times cheaper than defineProperty; on a fresh
 * plain object that is the same own, writable, enumerable, configurable property.
 */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** PATCH: `change` merged into `current`, a null value removing its key; neither is modified. */
export function mergeArgs(current: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  // Removed keys are left out rather than deleted after: a delete leaves the object in dictionary mode.
  for (const [key, value] of Object.entries(current)) {
    if (!(Object.hasOwn(change, key) && change[key] === null)) define(merged, key, value);
  }
  for (const [key, value] of Object.entries(change)) {
    if (value !== null) define(merged, key, value);
  }
  return merged;
}
