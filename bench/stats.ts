/** Repeated timing with the median as the reported figure: robust to one slow run (GC, disk). */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Wall-clock and CPU (user + system, this process including libuv's thread pool) milliseconds
 * of each run. CPU time is far less sensitive than wall time to other work on the machine.
 */
export interface Runs {
  wallMs: number[];
  cpuMs: number[];
}

/** Runs `fn` `repeats` times and times each run. */
export async function timeRuns(repeats: number, fn: () => Promise<unknown> | unknown): Promise<Runs> {
  const runs: Runs = { wallMs: [], cpuMs: [] };
  for (let i = 0; i < repeats; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await fn();
    runs.wallMs.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    runs.cpuMs.push((used.user + used.system) / 1000);
  }
  return runs;
}

/** Items per wall-clock second, from the median run. */
export function rate(count: number, runs: Runs): number {
  return count / (median(runs.wallMs) / 1000);
}

/** CPU microseconds per item, from the median run. */
export function cpuMicrosPerItem(count: number, runs: Runs): number {
  return (median(runs.cpuMs) * 1000) / count;
}
