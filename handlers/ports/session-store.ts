/**
 * The session store port: records, and the announcement of every change. Handlers reach state
 * only through this interface and the broker's (ports/broker.ts); implementations live in
 * runtime/stores/ and handlers never learn which client is behind them.
 *
 * A change and its announcement are one store operation (for Redis one script, one round trip),
 * so no writer can store a frame without announcing it, or announce one it did not store.
 */
import type { SessionRecord } from "../sessions/record.js";
import { assertAnnouncement } from "./broker.js";
import type { HookStore } from "./hook-store.js";

export type { SessionRecord } from "../sessions/record.js";

/** The incarnation and version a write read; it is stored only if the record still has both. */
export interface Expected {
  incarnation: number;
  version: number;
}

export interface CommitOptions {
  expect: Expected;
  /** New time to live in seconds; null: none, the session never expires; absent: the remaining TTL is kept. */
  ttlSeconds?: number | null;
}

export type CommitResult = "committed" | "missing" | "conflict";

/**
 * What the store knows of a session id. A session that is not there was either deleted — the
 * store keeps a tombstone for TOMBSTONE_SECONDS, naming the incarnation deleted — or is simply
 * missing: never made, expired, or lost with the store's data (restarted empty, evicted). The hub
 * tells a delete whose end announcement it missed from such a loss by this difference.
 */
export type SessionLookup =
  | { state: "live"; record: SessionRecord }
  | { state: "deleted"; incarnation: number }
  | { state: "missing" };

/**
 * How long a delete's tombstone outlives it, seconds: long enough to cover a subscriber that is
 * reconnecting when the end is announced (the hub re-reads every channel once it is back).
 */
export const TOMBSTONE_SECONDS = 600;

/**
 * What a change announces, or a function that makes it. A store that can tell nobody listens on
 * the channel (the memory store, for a session no stream watches) never calls it: encoding a
 * frame for no one was about 3 % of a memory-store write's CPU.
 */
export type Announcement = string | (() => string);

/** The announcement's text, checked (assertAnnouncement); a function is called here. */
export function announcementText(announcement: Announcement): string {
  const text = typeof announcement === "string" ? announcement : announcement();
  assertAnnouncement(text);
  return text;
}

export interface SessionStore {
  /** Names the backend in /ready and logs: "memory", "redis", "upstash". */
  readonly kind: string;
  /** The session's webhooks (ports/hook-store.ts), on the same backend; absent: this store keeps none (501). */
  readonly hooks?: HookStore;
  /** Waits (bounded) for the first connection, where there is one to make. */
  connect?(): Promise<void>;
  /** null when there is no such session (or its stored form is unreadable by this version). */
  get(id: string): Promise<SessionRecord | null>;
  /** The record, or whether a missing one was deleted (a tombstone is left) or is just not there. */
  lookup(id: string): Promise<SessionLookup>;
  /**
   * Stores the record only if no session with its id exists, and announces it; false when one
   * does. `ttlSeconds` null: no expiry. Removes the id's tombstone, if any.
   */
  create(record: SessionRecord, ttlSeconds: number | null, announcement: Announcement): Promise<boolean>;
  /** Compare-and-set on incarnation and version; on success announces the new record. */
  commit(record: SessionRecord, options: CommitOptions, announcement: Announcement): Promise<CommitResult>;
  /**
   * Removes the session if it is still the incarnation named, leaves a tombstone naming it for
   * TOMBSTONE_SECONDS, and announces its end; false otherwise.
   */
  delete(id: string, incarnation: number, announcement: string): Promise<boolean>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not be reached or did not answer in time; maps to 503. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
