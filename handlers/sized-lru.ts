/**
 * A map that forgets its least recently used entries once the sizes its callers give them add up
 * past `maxSize`. An entry larger than a quarter of the bound is not kept at all, so one huge value
 * cannot flush everything else. A bound of 0 keeps nothing.
 */
export class SizedLru<K, V> {
  private readonly entries = new Map<K, { value: V; size: number }>();
  private used = 0;

  constructor(private readonly maxSize: number) {}

  /** The value, now the most recently used; undefined when not kept. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** False when the entry is too large to be kept. */
  set(key: K, value: V, size: number): boolean {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.used -= old.size;
    }
    if (size > this.maxSize / 4) return false;
    this.entries.set(key, { value, size });
    this.used += size;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.maxSize) break;
      this.entries.delete(oldest);
      this.used -= entry.size;
    }
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.used -= entry.size;
  }

  /** Entries kept and the sum of their sizes. */
  usage(): { entries: number; size: number } {
    return { entries: this.entries.size, size: this.used };
  }
}
