import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQuietPeriod } from './quiet-period.js';

afterEach(() => {
  vi.useRealTimers();
});

function tracker(quietMs = 60_000) {
  vi.useFakeTimers();
  const due: string[] = [];
  const quiet = createQuietPeriod({ quietMs, onDue: (uid) => due.push(uid), now: () => Date.now() });
  return { quiet, due };
}

describe('quiet period of instance counts', () => {
  it('calls a study first seen unstable, and stable once its count held still for the period', () => {
    const { quiet } = tracker();
    expect(quiet.observe('1.2', 10)).toEqual({ stable: false, remainingMs: 60_000 });
    vi.advanceTimersByTime(59_999);
    expect(quiet.observe('1.2', 10)).toEqual({ stable: false, remainingMs: 1 });
    vi.advanceTimersByTime(1);
    expect(quiet.observe('1.2', 10)).toEqual({ stable: true, remainingMs: 0 });
  });

  it('starts the period again when the count changed', () => {
    const { quiet } = tracker();
    quiet.observe('1.2', 10);
    vi.advanceTimersByTime(50_000);
    expect(quiet.observe('1.2', 14)).toEqual({ stable: false, remainingMs: 60_000 });
    vi.advanceTimersByTime(59_000);
    expect(quiet.observe('1.2', 14).stable).toBe(false);
  });

  it('asks for another look when the period of the last count has passed, once per change', () => {
    const { quiet, due } = tracker();
    quiet.observe('1.2', 10);
    vi.advanceTimersByTime(30_000);
    quiet.observe('1.2', 12);
    vi.advanceTimersByTime(59_999);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(['1.2']);
    vi.advanceTimersByTime(600_000);
    expect(due).toEqual(['1.2']);
  });

  it('forgets a study once it was found stable, so a study that grows later waits again', () => {
    const { quiet } = tracker(1000);
    quiet.observe('1.2', 3);
    vi.advanceTimersByTime(1000);
    expect(quiet.observe('1.2', 3).stable).toBe(true);
    expect(quiet.unsettled()).toBe(0);
    expect(quiet.observe('1.2', 3).stable).toBe(false);
  });

  it('with a zero period, calls every study stable at once', () => {
    const { quiet, due } = tracker(0);
    expect(quiet.observe('1.2', 3)).toEqual({ stable: true, remainingMs: 0 });
    vi.advanceTimersByTime(10);
    expect([quiet.unsettled(), due]).toEqual([0, []]);
  });

  it('schedules nothing after stop', () => {
    const { quiet, due } = tracker(1000);
    quiet.observe('1.2', 3);
    quiet.stop();
    quiet.observe('1.3', 3);
    vi.advanceTimersByTime(5000);
    expect(due).toEqual([]);
  });

  it('refuses a negative period', () => {
    expect(() => createQuietPeriod({ quietMs: -1, onDue: () => undefined })).toThrow(RangeError);
  });
});
