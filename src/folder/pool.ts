/** Runs an async function over a list with a fixed number of calls in flight, keeping input order. */

/**
 * Header reads are I/O-bound: a few dozen in flight keep the disk and libuv's thread pool busy
 * without opening thousands of descriptors at once (EMFILE on a 100 000-file folder).
 * Results come back in input order whatever order the calls finish in, so callers stay
 * deterministic. `onSettled` is called once per item, after it finishes.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onSettled?: (done: number, total: number) => void,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
      done++;
      onSettled?.(done, items.length);
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, () => worker());
  await Promise.all(workers);
  return results;
}
