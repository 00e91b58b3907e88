import { describe, expect, it } from 'vitest';
import { Tag } from '../tags.js';
import { dictionaryVr } from './vr-dictionary.js';

describe('dictionaryVr', () => {
  it('knows the VR of every named tag the product reads', () => {
    const unknown = Object.entries(Tag).filter(([, key]) => dictionaryVr(Number.parseInt(key, 16)) === 'UN');
    expect(unknown).toEqual([]);
  });

  it.each([
    ['00020010', 'UI'],
    ['00080005', 'CS'],
    ['00100010', 'PN'],
    ['0020000D', 'UI'],
    ['00200013', 'IS'],
    ['00280030', 'DS'],
    ['00280010', 'US'],
    ['00280106', 'US'],
    ['00081032', 'SQ'],
    ['0040A730', 'SQ'],
    ['300A00B0', 'SQ'],
    ['30060050', 'DS'],
    ['00089007', 'CS'],
    ['7FE00010', 'OW'],
    ['00091010', 'UN'],
    ['60003000', 'UN'],
    ['12345678', 'UN'],
  ])('gives (%s) the VR %s', (tag, vr) => {
    expect(dictionaryVr(Number.parseInt(tag, 16))).toBe(vr);
  });
});
