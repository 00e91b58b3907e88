import { describe, expect, it } from 'vitest';
import { birthDatesConflict, demographicConflicts, gendersConflict } from './demographics.js';

describe('birthDatesConflict', () => {
  it.each([
    ['1970', '1970-04-01', false],
    ['1970-04-01', '1970', false],
    ['1970-04', '1970-04-30', false],
    ['1971', '1970-04-01', true],
    ['1970-05', '1970-04-01', true],
    ['1970-04-02', '1970-04-01', true],
    [undefined, '1970-04-01', false],
    ['1970-04-01', undefined, false],
  ] as const)('%s vs %s → %s', (a, b, expected) => expect(birthDatesConflict(a, b)).toBe(expected));
});

describe('gendersConflict', () => {
  it.each([
    ['male', 'female', true],
    ['male', 'male', false],
    ['other', 'female', true],
    ['unknown', 'female', false],
    [undefined, 'female', false],
    ['male', undefined, false],
  ] as const)('%s vs %s → %s', (a, b, expected) => expect(gendersConflict(a, b)).toBe(expected));
});

describe('demographicConflicts', () => {
  it('names the differing fields, not their values', () => {
    expect(
      demographicConflicts({ resourceType: 'Patient', birthDate: '1970-04-01', gender: 'male' }, { resourceType: 'Patient', birthDate: '1971', gender: 'female' }),
    ).toEqual(['birth date', 'sex']);
    expect(demographicConflicts({ resourceType: 'Patient', birthDate: '1970-04-01' }, { resourceType: 'Patient', birthDate: '1970' })).toEqual([]);
  });
});
