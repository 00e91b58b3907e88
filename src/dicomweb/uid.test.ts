import { describe, expect, it } from 'vitest';
import { assertValidUid, InvalidUidError, isValidUid } from './uid.js';

describe('isValidUid', () => {
  it.each([
    ['1.2.840.10008.5.1.4.1.1.2', true],
    ['2.25.220659974204822469186898064973270962049', true],
    ['1', true],
    ['0.0', true],
    [`1.${'2'.repeat(62)}`, true],
    [`1.${'2'.repeat(63)}`, false],
    ['', false],
    ['.1.2', false],
    ['1.2.', false],
    ['1..2', false],
    ['1.2a', false],
    [' 1.2', false],
    ['1.2\n', false],
    ['../studies', false],
    ['1.2/metadata', false],
    ['1.2?x=1', false],
    ['1.2%2F3', false],
  ])('%j is %s', (value, expected) => {
    expect(isValidUid(value)).toBe(expected);
  });
});

describe('assertValidUid', () => {
  it('returns a valid UID unchanged', () => {
    expect(assertValidUid('1.2.3')).toBe('1.2.3');
  });

  it('throws InvalidUidError naming the length but not echoing the value', () => {
    const error = (() => {
      try {
        assertValidUid('DOE^JOHN');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidUidError);
    expect((error as Error).message).toContain('got 8 characters');
    expect((error as Error).message).not.toContain('DOE');
  });
});
