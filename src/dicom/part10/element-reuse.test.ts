import { describe, expect, it } from 'vitest';
import type { DicomElement } from '../dataset.js';
import { latin1, type TextDecodeFn } from './charset.js';
import { ElementReuse, MAX_REUSED_VALUE_BYTES } from './element-reuse.js';
import type { Source } from './values.js';

function source(bytes: Buffer, littleEndian = true): Source {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), littleEndian };
}

const TAG = 0x00280010;
const ROWS: DicomElement = { vr: 'US', Value: [512] };
const other: TextDecodeFn = (bytes, start, end) => latin1(bytes, start, end);

describe('ElementReuse', () => {
  it('hands out the remembered element for the same bytes at any offset, and nothing before', () => {
    const reuse = new ElementReuse();
    const first = source(Buffer.from([0xaa, 0x00, 0x02]));
    expect(reuse.find(TAG, 'US', true, latin1, first, 1, 3)).toBeUndefined();
    reuse.remember(TAG, 'US', true, latin1, first, 1, 3, ROWS);
    expect(reuse.find(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x02])), 0, 2)).toBe(ROWS);
    expect(reuse.find(0x00280011, 'US', true, latin1, source(Buffer.from([0x00, 0x02])), 0, 2)).toBeUndefined();
  });

  it.each<[string, (reuse: ElementReuse) => DicomElement | undefined]>([
    ['other bytes', (reuse) => reuse.find(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x03])), 0, 2)],
    ['a longer value', (reuse) => reuse.find(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x02, 0x00, 0x02])), 0, 4)],
    ['another VR', (reuse) => reuse.find(TAG, 'SS', true, latin1, source(Buffer.from([0x00, 0x02])), 0, 2)],
    ['an implicit VR', (reuse) => reuse.find(TAG, 'US', false, latin1, source(Buffer.from([0x00, 0x02])), 0, 2)],
    ['the other byte order', (reuse) => reuse.find(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x02]), false), 0, 2)],
    ['another character set', (reuse) => reuse.find(TAG, 'US', true, other, source(Buffer.from([0x00, 0x02])), 0, 2)],
  ])('decodes afresh for %s', (_name, find) => {
    const reuse = new ElementReuse();
    reuse.remember(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x02])), 0, 2, ROWS);
    expect(find(reuse)).toBeUndefined();
  });

  it('compares a long value whole, to its last byte', () => {
    const reuse = new ElementReuse();
    const long = Buffer.alloc(200, 0x41);
    const text: DicomElement = { vr: 'LT', Value: ['A'.repeat(200)] };
    reuse.remember(0x00081030, 'LT', true, latin1, source(long), 0, 200, text);
    expect(reuse.find(0x00081030, 'LT', true, latin1, source(Buffer.alloc(200, 0x41)), 0, 200)).toBe(text);
    const changed = Buffer.alloc(200, 0x41);
    changed[199] = 0x42;
    expect(reuse.find(0x00081030, 'LT', true, latin1, source(changed), 0, 200)).toBeUndefined();
  });

  it('keeps its own copy of the bytes, so a reused read buffer cannot change what it compares with', () => {
    const reuse = new ElementReuse();
    const buffer = Buffer.from([0x00, 0x02]);
    reuse.remember(TAG, 'US', true, latin1, source(buffer), 0, 2, ROWS);
    buffer[1] = 0x03;
    expect(reuse.find(TAG, 'US', true, latin1, source(buffer), 0, 2)).toBeUndefined();
    expect(reuse.find(TAG, 'US', true, latin1, source(Buffer.from([0x00, 0x02])), 0, 2)).toBe(ROWS);
  });

  it('forgets a tag whose value is too long to be worth keeping', () => {
    const reuse = new ElementReuse();
    const short = source(Buffer.from('AB'));
    const long = source(Buffer.alloc(MAX_REUSED_VALUE_BYTES + 2, 0x41));
    const text: DicomElement = { vr: 'LT', Value: ['AB'] };
    reuse.remember(0x00081030, 'LT', true, latin1, short, 0, 2, text);
    reuse.remember(0x00081030, 'LT', true, latin1, long, 0, MAX_REUSED_VALUE_BYTES + 2, { vr: 'LT', Value: ['A'] });
    expect(reuse.find(0x00081030, 'LT', true, latin1, long, 0, MAX_REUSED_VALUE_BYTES + 2)).toBeUndefined();
    expect(reuse.find(0x00081030, 'LT', true, latin1, short, 0, 2)).toBeUndefined();
  });
});
