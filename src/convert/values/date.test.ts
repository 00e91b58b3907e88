import { describe, expect, it } from 'vitest';
import { toFhirDate } from './date.js';

describe('toFhirDate', () => {
  it.each([
    ['20240102', '2024-01-02'],
    ['19000101', '1900-01-01'],
    ['20240229', '2024-02-29'],
    [' 20240102 ', '2024-01-02'],
    ['2024.01.02', '2024-01-02'],
    ['20230229', undefined],
    ['20241301', undefined],
    ['20240132', undefined],
    ['20240100', undefined],
    ['202401', undefined],
    ['2024', undefined],
    ['00000101', undefined],
    ['2024-01-02', undefined],
    ['abcdefgh', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('turns DA %j into %j', (da, expected) => {
    expect(toFhirDate(da)).toBe(expected);
  });
});
