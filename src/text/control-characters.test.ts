import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, escapeControlCharactersDeep } from './control-characters.js';

describe('escapeControlCharacters', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['1.2\u00013', '1.2\\x013'],
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['line\nforged: yes\r', 'line\\x0aforged: yes\\x0d'],
    ['tab\there', 'tab\\x09here'],
    ['del\u007f c1\u009b', 'del\\x7f c1\\x9b'],
    ['Müller ½ 中', 'Müller ½ 中'],
    ['back\\slash', 'back\\slash'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControlCharacters(input)).toBe(expected);
  });
});

describe('escapeControlCharactersDeep', () => {
  it('escapes strings in nested objects and arrays, keys included, and leaves other values', () => {
    const record = { uid: '1.2\u0001', n: 3, ok: true, nested: { list: ['a', 'b\u009b'], none: null }, ['k\u0007']: 'v' };
    expect(escapeControlCharactersDeep(record)).toEqual({ uid: '1.2\\x01', n: 3, ok: true, nested: { list: ['a', 'b\\x9b'], none: null }, 'k\\x07': 'v' });
    expect(record.uid).toBe('1.2\u0001');
  });

  it('returns a clean record itself, without copying it', () => {
    const record = { uid: '1.2.3', nested: { list: ['a'] } };
    expect(escapeControlCharactersDeep(record)).toBe(record);
  });

  it('leaves class instances (errors, buffers) to their own serialisers', () => {
    const error = new Error('bad\u0001');
    expect(escapeControlCharactersDeep({ error }).error).toBe(error);
  });
});
