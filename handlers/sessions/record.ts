import * as v from "valibot";
import { decodeJson } from "../ports/wire.js";
import { jsonWith, stringJson } from "../json-text.js";
import { NEVER, type Lifetime } from "./lifetime.js";

/**
 * What one session key holds, as JSON. Node and edge deployments of different versions may share
 * one Redis, so a stored record is validated when read rather than trusted: unknown fields are
 * ignored, and fields added since (incarnation) have a derived fallback.
 */
const StoredRecord = v.object({
  id: v.string(),
  template: v.string(),
  args: v.custom<Record<string, unknown>>((args) => typeof args === "object" && args !== null && !Array.isArray(args)),
  /** The rendered SVG of `args` (for html sessions: satori's output). */
  frame: v.string(),
  kind: v.optional(v.picklist(["svg", "html"])),
  width: v.optional(v.number()),
  height: v.optional(v.number()),
  incarnation: v.optional(v.number()),
  version: v.number(),
  tokenHash: v.string(),
  createdAt: v.number(),
  updatedAt: v.number(),
  expiresAt: v.number(),
  lifetime: v.optional(v.union([v.pipe(v.number(), v.integer(), v.minValue(1)), v.literal(NEVER)])),
  renew: v.optional(v.boolean()),
});

export interface SessionRecord {
  id: string;
  template: string;
  args: Record<string, unknown>;
  /** The stored frame: the rendered SVG of `args`, what every viewer is shown. */
  frame: string;
  /** "svg" (the default when absent) or "html". */
  kind?: "svg" | "html";
  /** Size of an html session's image, CSS pixels; absent for svg sessions. */
  width?: number;
  height?: number;
  /** Fixed when the session is created; ordered, so a re-created session outranks its predecessor. */
  incarnation: number;
  /** Increases by one on every write within an incarnation. */
  version: number;
  /** SHA-256 (hex) of the write token; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms; NEVER_EXPIRES_AT (lifetime.ts) for a session without expiry. */
  expiresAt: number;
  /** The lifetime the session was given (seconds, or "never"); absent on records of older versions. */
  lifetime?: Lifetime;
  /** Every write starts `lifetime` afresh; absent means false. */
  renew?: boolean;
}

/** Records written before incarnations existed: their creation time (ms) times this is their incarnation. */
export const LEGACY_INCARNATION_FACTOR = 1000;
export const legacyIncarnation = (createdAt: number) => createdAt * LEGACY_INCARNATION_FACTOR;

/** Creation time in ms with a random tiebreak: ordered, and distinct for sessions made in the same ms. */
export function newIncarnation(createdAt: number): number {
  return legacyIncarnation(createdAt) + 1 + Math.floor(Math.random() * (LEGACY_INCARNATION_FACTOR - 1));
}

let memoRecord: SessionRecord | undefined;
let memoFrame = "";
let memoFrameJson = "";

/**
 * The JSON of a record's frame, kept for the record last asked: a commit encodes it for the
 * announcement and again in the stored record (recordJson). Checked against the frame itself, so
 * a record changed since is encoded afresh.
 */
export function frameJson(record: SessionRecord): string {
  if (record !== memoRecord || record.frame !== memoFrame) {
    memoRecord = record;
    memoFrame = record.frame;
    memoFrameJson = JSON.stringify(record.frame);
  }
  return memoFrameJson;
}

/**
 * What a store keeps for `record`: its JSON, the template and frame last, each encoded once
 * (json-text.ts), and its incarnation and version first, as digits, where both are safe integers:
 * the Redis store's scripts read them there without decoding the record (session-scripts.ts).
 */
export function recordJson(record: SessionRecord): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the strings are appended encoded
  const { template, frame, incarnation, version, ...rest } = record;
  const last = `"template":${stringJson(template)},"frame":${frameJson(record)}`;
  const digits = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (digits(incarnation) && digits(version)) return jsonWith(rest, last, `"incarnation":${incarnation},"version":${version}`);
  // Anything else as JSON.stringify encodes it (an absent incarnation: no field), for the scripts to decode.
  return jsonWith({ ...rest, incarnation, version }, last);
}

/** A stored record's JSON → a record, or null when it is not one this version can read. */
export function parseStoredRecord(json: string): SessionRecord | null {
  const stored = decodeJson(StoredRecord, json);
  if (!stored) return null;
  return { ...stored, incarnation: stored.incarnation ?? legacyIncarnation(stored.createdAt) };
}

/** Which frame of which session: later incarnations win, then later versions. */
export interface FrameId {
  incarnation: number;
  version: number;
}

export const frameIdOf = (record: SessionRecord): FrameId => ({ incarnation: record.incarnation, version: record.version });

/** Positive when `a` is newer than `b`, zero when they name the same frame. */
export function compareFrameIds(a: FrameId, b: FrameId): number {
  return a.incarnation - b.incarnation || a.version - b.version;
}
