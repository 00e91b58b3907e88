import { describe, expect, it } from 'vitest';
import { latin1 } from './charset.js';
import { decodeElement, MAX_INLINE_BINARY, personName, stringValues, type Source } from './values.js';

function source(bytes: number[], littleEndian = true): Source {
  const buffer = Buffer.from(bytes);
  return { bytes: buffer, view: new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength), littleEndian };
}

describe('stringValues', () => {
  it.each([
    ['CS', 'ORIGINAL\\PRIMARY\\AXIAL ', ['ORIGINAL', 'PRIMARY', 'AXIAL']],
    ['CS', ' CT ', ['CT']],
    ['UI', '1.2.840.10008.1.2\0', ['1.2.840.10008.1.2']],
    ['IS', ' 12 ', [12]],
    ['IS', '+5', [5]],
    ['DS', '-158.135803\\1e2 ', [-158.135803, 100]],
    ['DS', 'abc', ['abc']],
    ['IS', '1\\\\3', [1, null, 3]],
    ['LO', '', []],
    ['LO', '   ', []],
    ['LO', '\\', []],
    ['LT', '  indented text\\with backslash  ', ['  indented text\\with backslash']],
    ['ST', 'a\\b', ['a\\b']],
    ['UR', 'http://x/a\\b ', ['http://x/a\\b']],
    ['PN', 'Doe^John\\Roe^Jane', [{ Alphabetic: 'Doe^John' }, { Alphabetic: 'Roe^Jane' }]],
    ['PN', 'Yamada^Tarou=山田^太郎=やまだ^たろう', [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }]],
    ['DA', '20240131', ['20240131']],
  ])('reads %s %j as %j', (vr, raw, expected) => {
    expect(stringValues(vr, raw)).toEqual(expected);
  });
});

describe('personName', () => {
  it.each([
    ['Doe^John', { Alphabetic: 'Doe^John' }],
    ['=山田^太郎', { Ideographic: '山田^太郎' }],
    ['Wang^XiaoDong=王^小東=', { Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小東' }],
    ['==やまだ', { Phonetic: 'やまだ' }],
  ])('splits %j into %j', (text, expected) => {
    expect(personName(text)).toEqual(expected);
  });
});

describe('decodeElement', () => {
  it.each([
    ['US', [0x00, 0x02, 0x01, 0x00], true, [512, 1]],
    ['US', [0x02, 0x00], false, [512]],
    ['SS', [0xff, 0xff], true, [-1]],
    ['UL', [0x01, 0x00, 0x00, 0x80], true, [2147483649]],
    ['SL', [0xfe, 0xff, 0xff, 0xff], true, [-2]],
    ['FL', [0x00, 0x00, 0xc0, 0x3f], true, [1.5]],
    ['FD', [0, 0, 0, 0, 0, 0, 0xf8, 0x3f], true, [1.5]],
    ['AT', [0x20, 0x00, 0x0d, 0x00], true, ['0020000D']],
    ['AT', [0x00, 0x28, 0x00, 0x10], false, ['00280010']],
    ['US', [0x01, 0x00, 0x02], true, [1]],
  ])('reads %s %j (little endian: %s) as %j', (vr, bytes, littleEndian, expected) => {
    expect(decodeElement(vr, source(bytes, littleEndian), 0, bytes.length, latin1)).toEqual({ vr, Value: expected });
  });

  it('keeps a small binary value as InlineBinary', () => {
    expect(decodeElement('OB', source([0, 1]), 0, 2, latin1)).toEqual({ vr: 'OB', InlineBinary: 'AAE=' });
  });

  it('leaves out a binary value larger than the inline limit', () => {
    const bytes = new Array<number>(MAX_INLINE_BINARY + 1).fill(7);
    expect(decodeElement('OW', source(bytes), 0, bytes.length, latin1)).toBeUndefined();
  });

  it('gives an empty element no Value', () => {
    expect(decodeElement('PN', source([]), 0, 0, latin1)).toEqual({ vr: 'PN' });
  });
});
