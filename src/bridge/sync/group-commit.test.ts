import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.js';

/** A schedule run by hand: `turn()` runs what was scheduled, as `setImmediate` would. */
function manualSchedule(): { schedule: (run: () => void) => void; turn: () => void; pending: () => number } {
  const runs: Array<() => void> = [];
  return {
    schedule: (run) => void runs.push(run),
    turn: () => {
      for (const run of runs.splice(0)) run();
    },
    pending: () => runs.length,
  };
}

const settledOf = async <T>(promise: Promise<T>): Promise<'pending' | 'settled'> =>
  Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 5))]);

describe('group commit', () => {
  it('commits the items submitted before its turn in one call, each resolving with its own result after the commit', async () => {
    const loop = manualSchedule();
    const commits: string[][] = [];
    const group = createGroupCommit<string, string>({ commit: (items) => (commits.push(items), items.map((item) => `${item}!`)), schedule: loop.schedule });
    const a = group.submit(() => 'a');
    const b = group.submit(() => 'b');
    const c = group.submit(() => 'c');
    expect(await settledOf(a)).toBe('pending');
    expect(group.waiting()).toBe(3);
    loop.turn();
    expect(await Promise.all([a, b, c])).toEqual(['a!', 'b!', 'c!']);
    expect(commits).toEqual([['a', 'b', 'c']]);
    expect(group.waiting()).toBe(0);
  });

  it('commits a lone item at the next turn of the event loop by default', async () => {
    const commits: number[][] = [];
    const group = createGroupCommit<number, number>({ commit: (items) => (commits.push(items), items) });
    expect(await group.submit(() => 7)).toBe(7);
    expect(await Promise.all([group.submit(() => 8), group.submit(() => 9)])).toEqual([8, 9]);
    expect(commits).toEqual([[7], [8, 9]]);
  });

  it('with a window, commits together the items submitted within it after the first', async () => {
    const commits: number[][] = [];
    const group = createGroupCommit<number, number>({ commit: (items) => (commits.push(items), items), windowMs: 30 });
    const first = group.submit(() => 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = group.submit(() => 2);
    expect(await settledOf(first)).toBe('pending');
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(commits).toEqual([[1, 2]]);
  });

  it('prepares each item just before the commit, and writes none for an item prepared as undefined', async () => {
    const loop = manualSchedule();
    let deleted = false;
    const commits: string[][] = [];
    const group = createGroupCommit<string, string>({ commit: (items) => (commits.push(items), items), schedule: loop.schedule });
    const kept = group.submit(() => 'kept');
    const dropped = group.submit(() => (deleted ? undefined : 'dropped'));
    deleted = true;
    loop.turn();
    expect(await kept).toBe('kept');
    expect(await dropped).toBeUndefined();
    expect(commits).toEqual([['kept']]);
  });

  it('rejects every item of a group whose commit threw, and commits the next group as usual', async () => {
    const loop = manualSchedule();
    let fail = true;
    const group = createGroupCommit<string, string>({
      commit: (items) => {
        if (fail) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return items;
      },
      schedule: loop.schedule,
    });
    const first = [group.submit(() => 'a'), group.submit(() => 'b')];
    loop.turn();
    for (const item of first) await expect(item).rejects.toThrow('database or disk is full');
    fail = false;
    const next = group.submit(() => 'c');
    loop.turn();
    expect(await next).toBe('c');
  });

  it('rejects only the item whose preparation threw', async () => {
    const loop = manualSchedule();
    const group = createGroupCommit<string, string>({ commit: (items) => items, schedule: loop.schedule });
    const bad = group.submit(() => {
      throw new Error('cannot prepare');
    });
    const good = group.submit(() => 'good');
    loop.turn();
    await expect(bad).rejects.toThrow('cannot prepare');
    expect(await good).toBe('good');
  });

  it('splits a long queue into groups of at most maxGroup, the rest committed at the next turn', async () => {
    const loop = manualSchedule();
    const commits: number[][] = [];
    const group = createGroupCommit<number, number>({ commit: (items) => (commits.push(items), items), maxGroup: 2, schedule: loop.schedule });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => group.submit(() => n)));
    loop.turn();
    expect(commits).toEqual([[1, 2]]);
    expect(loop.pending()).toBe(1);
    loop.turn();
    loop.turn();
    expect(await all).toEqual([1, 2, 3, 4, 5]);
    expect(commits).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects a group whose commit answered a result count other than the item count', async () => {
    const loop = manualSchedule();
    const group = createGroupCommit<number, number>({ commit: () => [1], schedule: loop.schedule });
    const items = [group.submit(() => 1), group.submit(() => 2)];
    loop.turn();
    for (const item of items) await expect(item).rejects.toThrow(/1 results for 2 items/);
  });

  it('refuses a maxGroup that is not a positive integer, and a negative window', () => {
    expect(() => createGroupCommit({ commit: (items) => items, maxGroup: 0 })).toThrow(RangeError);
    expect(() => createGroupCommit({ commit: (items) => items, windowMs: -1 })).toThrow(RangeError);
  });
});
