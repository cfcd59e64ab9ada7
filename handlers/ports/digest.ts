/**
 * SHA-256 of a string as lower-case hex, synchronously: what every write spends on its token.
 * Web Crypto's `crypto.subtle.digest` is asynchronous, and on Node it hops to the thread pool for
 * a 40-byte input (measured: 6–8% of the serving thread's time at 50 concurrent writes, plus about
 * a quarter of the process's CPU on other threads). A host with a synchronous SHA-256 (Node:
 * `node:crypto`) passes it as `AppOptions.sha256`; without one the core uses Web Crypto. Both
 * must give the same digest: stored token hashes are compared against it.
 */
export type Sha256Hex = (text: string) => string;
