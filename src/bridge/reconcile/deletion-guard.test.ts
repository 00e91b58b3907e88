import { describe, expect, it } from 'vitest';
import { isMassDeletion } from './deletion-guard.js';

describe('mass deletion guard', () => {
  it.each([
    [{ listed: 0, considered: 5, missing: 5 }, 0.5, true],
    [{ listed: 0, considered: 1, missing: 1 }, 1, true],
    [{ listed: 0, considered: 0, missing: 0 }, 0.5, false],
    [{ listed: 10, considered: 10, missing: 5 }, 0.5, false],
    [{ listed: 10, considered: 10, missing: 6 }, 0.5, true],
    [{ listed: 10, considered: 10, missing: 0 }, 0, false],
    [{ listed: 10, considered: 10, missing: 1 }, 0, true],
    [{ listed: 10, considered: 10, missing: 10 }, 1, false],
  ])('%o with share %s is a mass deletion: %s', (gap, share, expected) => {
    expect(isMassDeletion(gap, share)).toBe(expected);
  });
});
