/**
 * The one way handlers reach state. Implementations live in runtime/stores/*; handlers never
 * learn which client is behind this interface.
 */

/** What one session key holds. Stored as JSON; `frame` is the rendered SVG of `args` (for html sessions too: satori's output). */
export interface SessionRecord {
  id: string;
  template: string;
  args: Record<string, unknown>;
  frame: string;
  /** "svg" (the default when absent: records written before kinds existed) or "html". */
  kind?: "svg" | "html";
  /** Size of an html session's image, CSS pixels; absent for svg sessions. */
  width?: number;
  height?: number;
  /** Increases by one on every write; lets viewers ignore a frame older than the one they have. */
  version: number;
  /** SHA-256 (hex) of the write token; the token itself is never stored. */
  tokenHash: string;
  /** Owner's user id for user-owned sessions; absent for public sessions. */
  owner?: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

export interface UpdateOptions {
  /** Only write if the stored record still has this version (compare-and-set). */
  expectVersion: number;
  /** New time to live in seconds; when absent the remaining TTL is kept. */
  ttlSeconds?: number;
}

export type UpdateResult = "updated" | "missing" | "conflict";

export type Unsubscribe = () => Promise<void>;

export interface SubscribeHandlers {
  /** A payload published on the channel (a single line of JSON). */
  message(payload: string): void;
  /**
   * The subscription was re-established after the store connection dropped; messages published
   * meanwhile are lost, so the listener should re-read the record.
   */
  resync?(): void;
}

export interface Store {
  readonly kind: string;
  /** Waits (bounded) for the first connection, where there is one to make. */
  connect?(): Promise<void>;
  get(id: string): Promise<SessionRecord | null>;
  /** Atomically store the record only if no session with this id exists. false when it does. */
  create(record: SessionRecord, ttlSeconds: number): Promise<boolean>;
  update(record: SessionRecord, options: UpdateOptions): Promise<UpdateResult>;
  /** true when a record was removed. */
  delete(id: string): Promise<boolean>;
  /** Ids of the live sessions whose record has `owner`. */
  listByOwner(owner: string): Promise<string[]>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Payloads must not contain a raw newline (the HTTP Redis transport is line-based SSE). */
  publish(channel: string, payload: string): Promise<void>;
  subscribe(channel: string, handlers: SubscribeHandlers): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** The store could not be reached or did not answer in time; maps to 503. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
