/**
 * Waiting for a condition that a stream reader changes as data arrives: the reader calls `wake()`
 * after each change, and `until()` resolves once the condition holds (or rejects after a timeout,
 * with a description of what was awaited).
 */
export function conditions() {
  const waiters = new Set<() => void>();
  return {
    wake(): void {
      for (const waiter of waiters) waiter();
    },
    until(ready: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (ready()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
        }, timeoutMs);
        const check = () => {
          if (!ready()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}
