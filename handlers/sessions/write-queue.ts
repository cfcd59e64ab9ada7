/**
 * Runs work for the same key one after another within this process: writes to one session (so
 * local writers do not race each other's compare-and-set; other replicas are handled by retries),
 * or a store's SUBSCRIBE/UNSUBSCRIBE of one channel.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
