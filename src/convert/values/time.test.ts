import { describe, expect, it } from 'vitest';
import { toFhirTime } from './time.js';

describe('toFhirTime', () => {
  it.each([
    ['10', '10:00:00'],
    ['1011', '10:11:00'],
    ['101112', '10:11:12'],
    ['101112.5', '10:11:12.5'],
    ['101112.123456', '10:11:12.123456'],
    ['10:11:12', '10:11:12'],
    ['235960', '23:59:60'],
    ['240000', undefined],
    ['106000', undefined],
    ['101161', undefined],
    ['101112.1234567', undefined],
    ['1', undefined],
    ['10111', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('turns TM %j into %j', (tm, expected) => {
    expect(toFhirTime(tm)).toBe(expected);
  });
});
