import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

const backoff = { baseMs: 100, maxMs: 1000 };

describe('retry delay', () => {
  it.each([
    [1, 0, 50],
    [1, 0.999999, 100],
    [2, 0, 100],
    [3, 0, 200],
    [4, 0.5, 600],
    [5, 0, 500],
    [10, 0.999999, 1000],
  ])('after failure %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, backoff, () => random)).toBe(expected);
  });
});
