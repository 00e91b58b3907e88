import { describe, expect, it } from 'vitest';
import { toLaterality } from './laterality.js';

const SCT = 'http://snomed.info/sct';

describe('toLaterality', () => {
  it.each([
    ['R', { system: SCT, code: '24028007', display: 'Right' }],
    ['L', { system: SCT, code: '7771000', display: 'Left' }],
    ['B', { system: SCT, code: '51440002', display: 'Bilateral' }],
    ['r', { system: SCT, code: '24028007', display: 'Right' }],
    ['U', undefined],
    ['X', undefined],
    [undefined, undefined],
  ])('turns laterality %j into %j', (value, expected) => {
    expect(toLaterality(value)).toEqual(expected);
  });
});
