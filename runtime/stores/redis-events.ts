/** What a Redis-backed store tells its host about its connections, once per event (not per retry). */
export interface RedisEvent {
  type: "lost" | "reconnected" | "auth_failed" | "resubscribe_failed";
  /** Which connection: commands, or the subscriber of the broker. */
  connection: "command" | "subscriber";
  /** host:port (never a password). */
  address: string;
  /** What Redis or the socket said. A message only: ioredis errors carry the failed command, whose arguments can hold a password. */
  reason?: string;
}

export type RedisEventHandler = (event: RedisEvent) => void;

/** Replies that mean the credentials are wrong, not that Redis is away. */
export const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
