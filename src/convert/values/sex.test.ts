import { describe, expect, it } from 'vitest';
import { toGender } from './sex.js';

describe('toGender', () => {
  it.each([
    ['M', true, 'male'],
    ['F', true, 'female'],
    ['O', true, 'other'],
    ['m', true, 'male'],
    [' F ', true, 'female'],
    ['X', true, 'unknown'],
    [undefined, true, 'unknown'],
    [undefined, false, undefined],
  ])("turns Patient's Sex %j (present: %j) into %j", (sex, present, expected) => {
    expect(toGender(sex, present)).toBe(expected);
  });
});
