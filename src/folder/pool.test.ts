import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from './pool.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapWithConcurrency', () => {
  it('never has more calls in flight than the limit and returns results in input order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    const results = await mapWithConcurrency(items, 4, async (n) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await tick((20 - n) % 5);
      inFlight--;
      return n * 10;
    });
    expect(maxInFlight).toBe(4);
    expect(results).toEqual(items.map((n) => n * 10));
  });

  it('reports progress once per item, ending at done = total', async () => {
    const calls: Array<[number, number]> = [];
    await mapWithConcurrency([1, 2, 3], 2, async (n) => n, (done, total) => calls.push([done, total]));
    expect(calls).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('returns an empty list for no items without calling the function', async () => {
    let called = false;
    expect(await mapWithConcurrency([], 8, async () => (called = true))).toEqual([]);
    expect(called).toBe(false);
  });

  it('refuses a concurrency below one', async () => {
    await expect(mapWithConcurrency([1], 0, async (n) => n)).rejects.toThrow(/positive integer/);
  });
});
