import { describe, expect, it } from 'vitest';
import type { Dataset } from '../dicom/dataset.js';
import { ElementInterner } from './intern.js';

describe('ElementInterner', () => {
  it('hands out one shared object for equal elements of consecutive datasets and keeps the values', () => {
    const interner = new ElementInterner();
    const a = interner.intern({ '00100020': { vr: 'LO', Value: ['ID1'] }, '00080018': { vr: 'UI', Value: ['1.2.1'] } });
    const b = interner.intern({ '00100020': { vr: 'LO', Value: ['ID1'] }, '00080018': { vr: 'UI', Value: ['1.2.2'] } });
    expect(b['00100020']).toBe(a['00100020']);
    expect(b['00080018']).not.toBe(a['00080018']);
    expect(b).toEqual({ '00100020': { vr: 'LO', Value: ['ID1'] }, '00080018': { vr: 'UI', Value: ['1.2.2'] } });
  });

  it('shares equal person names and sequence items as well', () => {
    const interner = new ElementInterner();
    const element = (): Dataset => ({
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A^B' }] },
      '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['X'] } }] },
    });
    const a = interner.intern(element());
    const b = interner.intern(element());
    expect(b['00100010']).toBe(a['00100010']);
    expect(b['00081032']).toBe(a['00081032']);
  });

  it.each<[string, Dataset, Dataset]>([
    ['zero and negative zero', { '00200032': { vr: 'DS', Value: [0] } }, { '00200032': { vr: 'DS', Value: [-0] } }],
    ['a number and its text', { '00200013': { vr: 'IS', Value: [1] } }, { '00200013': { vr: 'IS', Value: ['1'] } }],
    ['two values and one holding the separator', { '00080008': { vr: 'CS', Value: ['A', 'B'] } }, { '00080008': { vr: 'CS', Value: ['A|s1:B'] } }],
    ['an empty value and no value', { '00080008': { vr: 'CS', Value: [null] } }, { '00080008': { vr: 'CS' } }],
    ['the same value under two VRs', { '00081030': { vr: 'LO', Value: ['X'] } }, { '00081030': { vr: 'SH', Value: ['X'] } }],
    ['different person names', { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A' }] } }, { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'B' }] } }],
    ['sequences with different items', { '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['A'] } }] } }, { '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['B'] } }] } }],
  ])('keeps %s apart', (_name, first, second) => {
    const interner = new ElementInterner();
    interner.intern(first);
    const copy = structuredClone(second);
    const interned = interner.intern(copy);
    expect(interned).toEqual(second);
    expect(Object.is(interned['00200032']?.Value?.[0], second['00200032']?.Value?.[0])).toBe(true);
  });

  it('shares person names equal group by group, and keeps those with another group apart', () => {
    const interner = new ElementInterner();
    const name = (value: Record<string, string>): Dataset => ({ '00100010': { vr: 'PN', Value: [value] } });
    const a = interner.intern(name({ Alphabetic: 'A^B' }));
    const b = interner.intern(name({ Alphabetic: 'A^B' }));
    expect(b['00100010']).toBe(a['00100010']);
    const c = interner.intern(name({ Alphabetic: 'A^B', Ideographic: 'X' }));
    expect(c['00100010']).not.toBe(b['00100010']);
    expect(c['00100010']?.Value).toEqual([{ Alphabetic: 'A^B', Ideographic: 'X' }]);
  });

  it('keeps an empty sequence item and a person name apart', () => {
    const interner = new ElementInterner();
    interner.intern({ '00081032': { vr: 'SQ', Value: [{}] } });
    const interned = interner.intern({ '00081032': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['X'] } }] } });
    expect(interned['00081032']?.Value).toEqual([{ '00080100': { vr: 'SH', Value: ['X'] } }]);
  });
});
