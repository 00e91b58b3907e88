import { describe, expect, it } from 'vitest';
import { createProgress, renderBar } from './progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 80, write: (t: string) => writes.push(t) } };
}

describe('createProgress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const { writes, stream } = fakeStream(false);
    const progress = createProgress(stream);
    progress.update(1, 2);
    progress.update(2, 2);
    progress.finish();
    expect(writes).toEqual([]);
  });

  it('redraws at most once per interval but always draws the final count, then clears the line', () => {
    const { writes, stream } = fakeStream(true);
    let time = 1000;
    const progress = createProgress(stream, { now: () => time, intervalMs: 100 });
    progress.update(1, 5);
    time += 50;
    progress.update(2, 5);
    time += 60;
    progress.update(3, 5);
    progress.update(4, 5);
    progress.update(5, 5);
    progress.finish();
    expect(writes.length).toBe(4);
    expect(writes[0]).toContain('1/5');
    expect(writes[1]).toContain('3/5');
    expect(writes[2]).toContain('5/5');
    expect(writes[3]).toBe('\r\x1b[2K');
  });
});

describe('renderBar', () => {
  it('fills the bar in proportion to the files read', () => {
    expect(renderBar('Reading', 1, 4, 80)).toBe(`Reading [${'#'.repeat(10)}${'-'.repeat(30)}] 1/4  25%`);
  });
  it('shows a full bar for an empty folder', () => {
    expect(renderBar('Reading', 0, 0, 80)).toContain('100%');
  });
});
