/**
 * The session store port: records, and the announcement of every change. Handlers reach state
 * only through this interface and the broker's (ports/broker.ts); implementations live in
 * runtime/stores/ and handlers never learn which client is behind them.
 *
 * A change and its announcement are one store operation (for Redis one script, one round trip),
 * so no writer can store a frame without announcing it, or announce one it did not store.
 */
import type { SessionRecord } from "../sessions/record.js";

export type { SessionRecord } from "../sessions/record.js";

/** The incarnation and version a write read; it is stored only if the record still has both. */
export interface Expected {
  incarnation: number;
  version: number;
}

export interface CommitOptions {
  expect: Expected;
  /** New time to live in seconds; when absent the remaining TTL is kept. */
  ttlSeconds?: number;
}

export type CommitResult = "committed" | "missing" | "conflict";

export interface SessionStore {
  /** Names the backend in /ready and logs: "memory", "redis", "upstash". */
  readonly kind: string;
  /** Waits (bounded) for the first connection, where there is one to make. */
  connect?(): Promise<void>;
  /** null when there is no such session (or its stored form is unreadable by this version). */
  get(id: string): Promise<SessionRecord | null>;
  /** Stores the record only if no session with its id exists, and announces it; false when one does. */
  create(record: SessionRecord, ttlSeconds: number, announcement: string): Promise<boolean>;
  /** Compare-and-set on incarnation and version; on success announces the new record. */
  commit(record: SessionRecord, options: CommitOptions, announcement: string): Promise<CommitResult>;
  /** Removes the session if it is still the incarnation named, and announces its end; false otherwise. */
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
