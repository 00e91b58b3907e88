/** Repeated timing with the median as the reported figure: robust to one slow run (GC, disk). */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `fn` `repeats` times and returns each run's wall-clock milliseconds. */
export async function timeRuns(repeats: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

/** Items per second from a count and the median of the runs' milliseconds. */
export function rate(count: number, runsMs: readonly number[]): number {
  return count / (median(runsMs) / 1000);
}
