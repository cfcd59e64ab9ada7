/**
 * What every ioredis connection of the process shares: the reconnect backoff, the one-line
 * account of each outage (watch), the bounded wait for readiness, and a quit that cannot hang.
 */
import type { Cluster, Redis } from "ioredis";
import { storeUnavailable } from "./redis-session-store.js";
import { AUTH_FAILURE, type RedisEventHandler } from "./redis-events.js";

/** One connection to a single Redis or a Sentinel-named primary, or a Cluster client (a pool per node). */
export type Client = Redis | Cluster;

export const noop = (): void => {};
/** Reconnect delay: 100 ms more per attempt, at most 2 s; ioredis retries forever with it. */
export const backoff = (attempts: number): number => Math.min(attempts * 100, 2000);
export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * ioredis emits 'error' on every failed reconnect attempt; without a listener it would print
 * "Unhandled error event" each time. Each outage is told once: lost (or never reached), then
 * reconnected; wrong credentials are told as such, once until the next success.
 */
export function watch(client: Client, connection: "command" | "subscriber", address: string, onEvent: RedisEventHandler): void {
  let lost = false;
  let authReported = false;
  const loseWith = (error?: Error) => {
    if (lost || closing.has(client)) return;
    lost = true;
    onEvent({ type: "lost", connection, address, ...(error ? { reason: error.message } : {}) });
  };
  client.on("error", (error: Error) => {
    if (closing.has(client)) return;
    if (AUTH_FAILURE.test(error.message)) {
      if (!authReported) onEvent({ type: "auth_failed", connection, address, reason: error.message });
      authReported = true;
      return;
    }
    loseWith(error);
  });
  client.on("close", () => loseWith());
  client.on("ready", () => {
    if (lost) onEvent({ type: "reconnected", connection, address });
    lost = false;
    authReported = false;
  });
}

/** Connections this process is closing: their end is not an outage. */
const closing = new WeakSet<Client>();

export function waitReady(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(storeUnavailable("redis connect", new Error(`not ready after ${timeoutMs} ms`)));
    }, timeoutMs);
    client.once("ready", onReady);
  });
}

/** QUIT lets pending replies arrive; it cannot be sent while disconnected (no offline queue) and
 *  may hang on a dead socket, so fall back to a hard disconnect. */
export async function quit(client: Client): Promise<void> {
  closing.add(client);
  if (client.status === "ready") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.quit().catch(noop),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }
  client.disconnect();
}

/**
 * A broker's subscribe of one channel: the first call's outcome is shared by later callers until
 * it fails; a failed one is forgotten and undone (it may have reached Redis), so the next caller
 * tries again, and reported as StoreUnavailableError.
 */
export function subscribeOnce(
  wanted: Map<string, Promise<void>>,
  key: string,
  command: string,
  attempt: () => Promise<unknown>,
  undo: () => void,
): Promise<void> {
  const existing = wanted.get(key);
  if (existing) return existing;
  const subscribed: Promise<void> = attempt().then(
    () => undefined,
    (error: unknown) => {
      if (wanted.get(key) === subscribed) {
        wanted.delete(key);
        undo();
      }
      throw storeUnavailable(`redis ${command}`, error);
    },
  );
  wanted.set(key, subscribed);
  return subscribed;
}
