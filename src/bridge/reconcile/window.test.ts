import { describe, expect, it } from 'vitest';
import { reconcileWindow, startedInWindow } from './window.js';

describe('reconciliation window', () => {
  it('covers the last N local calendar days, open-ended towards the future', () => {
    expect(reconcileWindow(1, new Date(2024, 2, 1, 10))).toEqual({ studyDate: '20240301-', fromDate: '2024-03-01' });
    expect(reconcileWindow(7, new Date(2024, 2, 3, 23, 59))).toEqual({ studyDate: '20240226-', fromDate: '2024-02-26' });
  });

  it('rejects a window that is not a positive whole number of days', () => {
    expect(() => reconcileWindow(0, new Date())).toThrow(RangeError);
    expect(() => reconcileWindow(1.5, new Date())).toThrow(RangeError);
  });

  it.each([
    ['2024-02-26', true],
    ['2024-02-26T00:10:00+01:00', true],
    ['2024-03-10', true],
    ['2024-02-25T23:59:59+00:00', false],
    [undefined, false],
  ])('a study started %s is inside the window from 2024-02-26: %s', (started, expected) => {
    expect(startedInWindow(started, { studyDate: '20240226-', fromDate: '2024-02-26' })).toBe(expected);
  });
});
