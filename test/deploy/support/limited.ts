/**
 * At most `concurrency` calls of the returned function run at once: the machines running these
 * tests are small, and thirteen Terraform applies (or helm renders) at once only make each slower.
 */
export function limited(concurrency: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T,>(task: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
