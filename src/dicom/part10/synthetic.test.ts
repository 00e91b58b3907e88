import { deflateRawSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parsePart10Header } from './index.js';
import { MAX_DECODED_ITEMS_SELECTED, MAX_SELECTED_TEXT_BYTES, MAX_SEQUENCE_DEPTH } from './dataset-parser.js';
import { MAX_INFLATED_BYTES } from './header.js';

type Bytes = number[];

const u16le = (n: number): Bytes => [n & 0xff, (n >> 8) & 0xff];
const u32le = (n: number): Bytes => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16be = (n: number): Bytes => [(n >> 8) & 0xff, n & 0xff];
const u32be = (n: number): Bytes => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ascii = (s: string): Bytes => [...Buffer.from(s, 'latin1')];
const UNDEFINED = 0xffffffff;
const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OD', 'OF', 'OL', 'OV', 'SV', 'UV']);

/** Explicit VR little endian element. */
function ex(group: number, element: number, vr: string, value: Bytes, length = value.length): Bytes {
  const head = LONG.has(vr) ? [...ascii(vr), 0, 0, ...u32le(length)] : [...ascii(vr), ...u16le(length)];
  return [...u16le(group), ...u16le(element), ...head, ...value];
}

/** Explicit VR big endian element. */
function be(group: number, element: number, vr: string, value: Bytes): Bytes {
  const head = LONG.has(vr) ? [...ascii(vr), 0, 0, ...u32be(value.length)] : [...ascii(vr), ...u16be(value.length)];
  return [...u16be(group), ...u16be(element), ...head, ...value];
}

/** Implicit VR little endian element. */
function im(group: number, element: number, value: Bytes, length = value.length): Bytes {
  return [...u16le(group), ...u16le(element), ...u32le(length), ...value];
}

const item = (content: Bytes): Bytes => [...u16le(0xfffe), ...u16le(0xe000), ...u32le(content.length), ...content];
const itemUndefined = (content: Bytes): Bytes => [
  ...u16le(0xfffe), ...u16le(0xe000), ...u32le(UNDEFINED), ...content, ...u16le(0xfffe), ...u16le(0xe00d), ...u32le(0),
];
const seqEnd: Bytes = [...u16le(0xfffe), ...u16le(0xe0dd), ...u32le(0)];

function even(s: string, pad = ' '): Bytes {
  return ascii(s.length % 2 === 0 ? s : s + pad);
}

/** Preamble, DICM and a file meta naming `transferSyntax`, then `dataset`. */
function part10(transferSyntax: string, dataset: Bytes): Uint8Array {
  const meta = [
    ...ex(0x0002, 0x0001, 'OB', [0, 1]),
    ...ex(0x0002, 0x0002, 'UI', even('1.2.840.10008.5.1.4.1.1.2', '\0')),
    ...ex(0x0002, 0x0010, 'UI', even(transferSyntax, '\0')),
  ];
  return new Uint8Array([...new Array<number>(128).fill(0), ...ascii('DICM'), ...ex(0x0002, 0x0000, 'UL', u32le(meta.length)), ...meta, ...dataset]);
}

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const STUDY = even('1.2.3.4', '\0');

function ok(result: ReturnType<typeof parsePart10Header>) {
  if (!result.ok) throw new Error(`expected a dataset, got ${result.reason}: ${result.detail}`);
  return result;
}

describe('parsePart10Header on synthetic files', () => {
  it('reads an undefined-length sequence of undefined-length items nested three deep', () => {
    const inner = [...ex(0x0008, 0x0100, 'SH', even('T-1234')), ...ex(0x0008, 0x0104, 'LO', even('Chest'))];
    const middle = [...ex(0x0040, 0xa043, 'SQ', [...itemUndefined(inner), ...seqEnd], UNDEFINED)];
    const outer = [...ex(0x0040, 0xa730, 'SQ', [...itemUndefined(middle), ...item(ex(0x0040, 0xa010, 'CS', even('CONTAINS'))), ...seqEnd], UNDEFINED)];
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, [...outer, ...ex(0x0020, 0x000d, 'UI', STUDY)])));
    expect(dataset['0040A730']).toEqual({
      vr: 'SQ',
      Value: [
        { '0040A043': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['T-1234'] }, '00080104': { vr: 'LO', Value: ['Chest'] } }] } },
        { '0040A010': { vr: 'CS', Value: ['CONTAINS'] } },
      ],
    });
    expect(dataset['0020000D']).toEqual({ vr: 'UI', Value: ['1.2.3.4'] });
  });

  it('reads undefined-length sequences in implicit VR with the VR from the dictionary', () => {
    const code = [...im(0x0008, 0x0100, even('113076')), ...im(0x0008, 0x0102, even('DCM'))];
    const seq = im(0x0008, 0x1032, [...itemUndefined(code), ...seqEnd], UNDEFINED);
    const { dataset } = ok(parsePart10Header(part10(IMPLICIT_LE, [...seq, ...im(0x0020, 0x0013, even('7'))])));
    expect(dataset['00081032']).toEqual({ vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['113076'] }, '00080102': { vr: 'SH', Value: ['DCM'] } }] });
    expect(dataset['00200013']).toEqual({ vr: 'IS', Value: [7] });
  });

  it('reads an undefined-length UN element as an implicit VR little endian sequence (PS3.5 §6.2.2)', () => {
    const content = im(0x0008, 0x1150, even('1.2.840.10008.5.1.4.1.1.2', '\0'));
    const un = ex(0x0008, 0x1199, 'UN', [...itemUndefined(content), ...seqEnd], UNDEFINED);
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, [...un, ...ex(0x0020, 0x000d, 'UI', STUDY)])));
    expect(dataset['00081199']).toEqual({ vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] } }] });
    expect(dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('reads an item written in implicit VR inside an explicit VR file', () => {
    const seq = ex(0x0008, 0x1032, 'SQ', [...itemUndefined(im(0x0008, 0x0100, even('113076'))), ...seqEnd], UNDEFINED);
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, [...seq, ...ex(0x0020, 0x000d, 'UI', STUDY)])));
    expect(dataset['00081032']).toEqual({ vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: ['113076'] } }] });
    expect(dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('decodes a defined-length UN element of a known tag with its dictionary VR', () => {
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, ex(0x0010, 0x0010, 'UN', even('Doe^Jane')))));
    expect(dataset['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] });
  });

  it('reads values of odd length and keeps the element after them aligned', () => {
    const odd = ex(0x0008, 0x0060, 'CS', ascii('CT'.concat('X')));
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, [...odd, ...ex(0x0020, 0x000d, 'UI', STUDY)])));
    expect(dataset['00080060']?.Value).toEqual(['CTX']);
    expect(dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('reports truncated when a length points past the end of the file', () => {
    const bytes = part10(EXPLICIT_LE, [...ex(0x0020, 0x000d, 'UI', STUDY), ...ex(0x0008, 0x1030, 'LO', ascii('abcd'), 4000)]);
    expect(parsePart10Header(bytes)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reports truncated when the file ends inside an element header', () => {
    const bytes = part10(EXPLICIT_LE, [...ex(0x0020, 0x000d, 'UI', STUDY), 0x08, 0x00, 0x30]);
    expect(parsePart10Header(bytes)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('reports malformed when an element runs past the end of its defined-length item', () => {
    const inner = ex(0x0008, 0x0100, 'SH', even('ABCDEF'), 6);
    const broken = [...inner.slice(0, 6), ...u16le(40), ...inner.slice(8)];
    const seq = ex(0x0008, 0x1032, 'SQ', item(broken));
    const bytes = part10(EXPLICIT_LE, [...seq, ...ex(0x0020, 0x000d, 'UI', STUDY), ...new Array<number>(64).fill(0x20)]);
    expect(parsePart10Header(bytes)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('reports truncated when an undefined-length sequence never ends', () => {
    const seq = ex(0x0008, 0x1032, 'SQ', itemUndefined(ex(0x0008, 0x0100, 'SH', even('X1'))), UNDEFINED);
    expect(parsePart10Header(part10(EXPLICIT_LE, seq))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('refuses sequences nested deeper than the limit instead of recursing without end', () => {
    let nested: Bytes = ex(0x0008, 0x0100, 'SH', even('X1'));
    for (let depth = 0; depth <= MAX_SEQUENCE_DEPTH + 1; depth++) nested = ex(0x0040, 0xa730, 'SQ', [...itemUndefined(nested), ...seqEnd], UNDEFINED);
    expect(parsePart10Header(part10(EXPLICIT_LE, nested))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('skips private elements, private sequences and group lengths', () => {
    const privateSeq = ex(0x0009, 0x1010, 'SQ', [...itemUndefined(ex(0x0009, 0x1011, 'LO', even('secret'))), ...seqEnd], UNDEFINED);
    const dataset = [
      ...ex(0x0008, 0x0000, 'UL', u32le(10)),
      ...ex(0x0009, 0x0010, 'LO', even('ACME')),
      ...privateSeq,
      ...ex(0x0020, 0x000d, 'UI', STUDY),
    ];
    expect(Object.keys(ok(parsePart10Header(part10(EXPLICIT_LE, dataset))).dataset).filter((k) => !k.startsWith('0002'))).toEqual(['0020000D']);
  });

  it('steps over a sequence it was not asked for, however many items, and decodes at most a bounded number in one it was', () => {
    const emptyItem = [...u16le(0xfffe), ...u16le(0xe000), ...u32le(0)];
    const items = (count: number): Bytes => new Array<Bytes>(count).fill(emptyItem).flat();
    const many = MAX_DECODED_ITEMS_SELECTED + 1;
    const only = new Set([0x0020000d, 0x00081032]);
    const unmapped = part10(EXPLICIT_LE, [...ex(0x0008, 0x1111, 'SQ', [...items(many), ...seqEnd], UNDEFINED), ...ex(0x0020, 0x000d, 'UI', STUDY)]);
    expect(ok(parsePart10Header(unmapped, { only })).dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
    const withinCap = part10(EXPLICIT_LE, [...ex(0x0008, 0x1032, 'SQ', [...items(MAX_DECODED_ITEMS_SELECTED), ...seqEnd], UNDEFINED), ...ex(0x0020, 0x000d, 'UI', STUDY)]);
    expect(ok(parsePart10Header(withinCap, { only })).dataset['00081032']?.Value).toHaveLength(MAX_DECODED_ITEMS_SELECTED);
    const mapped = part10(EXPLICIT_LE, [...ex(0x0008, 0x1032, 'SQ', [...items(many), ...seqEnd], UNDEFINED), ...ex(0x0020, 0x000d, 'UI', STUDY)]);
    expect(parsePart10Header(mapped, { only })).toMatchObject({ ok: false, reason: 'too-large' });
    expect(ok(parsePart10Header(mapped)).dataset['00081032']?.Value).toHaveLength(many);
  });

  it('skips as too large a selected text element longer than any real one, and steps over it when not selected', () => {
    const backslashes = new Array<number>(MAX_SELECTED_TEXT_BYTES + 2).fill(0x5c);
    const bytes = part10(EXPLICIT_LE, [...ex(0x0008, 0x0008, 'UC', backslashes), ...ex(0x0020, 0x000d, 'UI', STUDY)]);
    expect(parsePart10Header(bytes, { only: new Set([0x00080008, 0x0020000d]) })).toMatchObject({ ok: false, reason: 'too-large' });
    expect(ok(parsePart10Header(bytes, { only: new Set([0x0020000d]) })).dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('finds the same corruption in a sequence it steps over as in one it decodes', () => {
    const broken = ex(0x0008, 0x1111, 'SQ', [...itemUndefined([...u16le(0x0008), ...u16le(0x0100), ...ascii('SH'), ...u16le(2)]), ...seqEnd], UNDEFINED);
    const bytes = part10(EXPLICIT_LE, [...broken, ...ex(0x0020, 0x000d, 'UI', STUDY)]);
    expect(parsePart10Header(bytes, { only: new Set([0x0020000d]) })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parsePart10Header(bytes)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('stops at Pixel Data and never reads it', () => {
    const pixels = [...u16le(0x7fe0), ...u16le(0x0010), ...ascii('OW'), 0, 0, ...u32le(1_000_000)];
    const bytes = part10(EXPLICIT_LE, [...ex(0x0020, 0x000d, 'UI', STUDY), ...pixels]);
    expect(ok(parsePart10Header(bytes, { fileSize: bytes.length + 1_000_000 })).dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
    expect(parsePart10Header(bytes, { fileSize: bytes.length + 999_999 })).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('skips encapsulated fragments of undefined length inside an item (icon image)', () => {
    const fragments = [...item([]), ...item([1, 2, 3, 4]), ...seqEnd];
    const icon = [...ex(0x0028, 0x0010, 'US', u16le(4)), ...ex(0x7fe0, 0x0010, 'OB', fragments, UNDEFINED)];
    const seq = ex(0x0088, 0x0200, 'SQ', [...itemUndefined(icon), ...seqEnd], UNDEFINED);
    const { dataset } = ok(parsePart10Header(part10(EXPLICIT_LE, [...seq, ...ex(0x0020, 0x000d, 'UI', STUDY)])));
    expect(dataset['00880200']).toEqual({ vr: 'SQ', Value: [{ '00280010': { vr: 'US', Value: [4] } }] });
    expect(dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('reads explicit VR big endian numbers and texts', () => {
    const dataset = [...be(0x0020, 0x000d, 'UI', STUDY), ...be(0x0028, 0x0010, 'US', u16be(512)), ...be(0x0018, 0x0050, 'DS', even('2.5'))];
    const result = ok(parsePart10Header(part10('1.2.840.10008.1.2.2', dataset)));
    expect(result.dataset['00280010']).toEqual({ vr: 'US', Value: [512] });
    expect(result.dataset['00180050']).toEqual({ vr: 'DS', Value: [2.5] });
  });

  it('inflates a deflated dataset (PS3.5 §A.5)', () => {
    const deflated = [...deflateRawSync(Buffer.from([...ex(0x0020, 0x000d, 'UI', STUDY), ...ex(0x0010, 0x0020, 'LO', even('P-1'))]))];
    const result = ok(parsePart10Header(part10('1.2.840.10008.1.2.1.99', deflated)));
    expect(result.dataset['00100020']?.Value).toEqual(['P-1']);
    expect(result.transferSyntaxUid).toBe('1.2.840.10008.1.2.1.99');
  });

  it('inflates a zlib-wrapped deflated dataset', () => {
    const deflated = [...deflateSync(Buffer.from(ex(0x0010, 0x0020, 'LO', even('P-2'))))];
    expect(ok(parsePart10Header(part10('1.2.840.10008.1.2.1.99', deflated))).dataset['00100020']?.Value).toEqual(['P-2']);
  });

  it('inflates more of a deflated stream when the header is longer than the first slice', () => {
    let seed = 12345;
    const letter = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return 0x41 + ((seed >>> 16) % 26);
    };
    const elements = [0, 1, 2, 3].flatMap(() => ex(0x0040, 0xa160, 'UT', Array.from({ length: 60_000 }, letter)));
    const deflated = [...deflateRawSync(Buffer.from([...elements, ...ex(0x0010, 0x0020, 'LO', even('P-3'))]))];
    expect(deflated.length).toBeGreaterThan(16 * 2 * 1024);
    expect(ok(parsePart10Header(part10('1.2.840.10008.1.2.1.99', deflated))).dataset['00100020']?.Value).toEqual(['P-3']);
  });

  it('skips as too large a deflated dataset whose element ends beyond the inflation cap, from its length alone', () => {
    const huge = [...u16le(0x0029), ...u16le(0x1001), ...ascii('OB'), 0, 0, ...u32le(MAX_INFLATED_BYTES + 2)];
    const deflated = [...deflateRawSync(Buffer.from([...ex(0x0020, 0x000d, 'UI', STUDY), ...huge, 0, 0, 0, 0]))];
    expect(parsePart10Header(part10('1.2.840.10008.1.2.1.99', deflated))).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('skips as too large a deflated dataset that inflates beyond the cap before its header ends', () => {
    const chunk = Buffer.concat([Buffer.from(ex(0x0029, 0x1001, 'OB', [], 1024 * 1024 - 12)), Buffer.alloc(1024 * 1024 - 12)]);
    const deflated = deflateRawSync(Buffer.concat([Buffer.from(ex(0x0020, 0x000d, 'UI', STUDY)), ...new Array<Buffer>(MAX_INFLATED_BYTES / chunk.length + 2).fill(chunk)]));
    const result = parsePart10Header(part10('1.2.840.10008.1.2.1.99', [...deflated]));
    expect(result).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('reports a corrupt deflate stream as malformed, naming zlib’s reason', () => {
    const deflated = [...deflateRawSync(Buffer.from([...ex(0x0020, 0x000d, 'UI', STUDY), ...ex(0x0010, 0x0020, 'LO', even('P-5'))]))];
    const corrupt = [0xff, 0xff, 0xff, ...deflated.slice(3)];
    expect(parsePart10Header(part10('1.2.840.10008.1.2.1.99', corrupt))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/^the deflated dataset is corrupt \(/) });
  });

  it('reports truncated for a deflated stream cut short', () => {
    const deflated = [...deflateRawSync(Buffer.from([...ex(0x0010, 0x0020, 'LO', even('P-4')), ...ex(0x0040, 0xa160, 'UT', ascii('x'.repeat(5000)))]))];
    expect(parsePart10Header(part10('1.2.840.10008.1.2.1.99', deflated.slice(0, 20)))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('guesses implicit VR for a file with neither preamble nor file meta', () => {
    const result = ok(parsePart10Header(new Uint8Array([...im(0x0008, 0x0060, even('MR')), ...im(0x0020, 0x000d, STUDY)])));
    expect(result.transferSyntaxUid).toBe(IMPLICIT_LE);
    expect(result.dataset['00080060']).toEqual({ vr: 'CS', Value: ['MR'] });
  });

  it('reads a file meta that starts at byte 0 (no preamble)', () => {
    const withPreamble = part10(EXPLICIT_LE, ex(0x0020, 0x000d, 'UI', STUDY));
    const result = ok(parsePart10Header(withPreamble.subarray(132)));
    expect(result.transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(result.dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('reads an unknown transfer syntax as explicit VR little endian when the bytes are', () => {
    const result = ok(parsePart10Header(part10('1.2.3.999', ex(0x0020, 0x000d, 'UI', STUDY))));
    expect(result.transferSyntaxUid).toBe('1.2.3.999');
    expect(result.dataset['0020000D']?.Value).toEqual(['1.2.3.4']);
  });

  it('refuses an unknown transfer syntax whose bytes are not explicit VR little endian', () => {
    const bigEndian = be(0x0020, 0x000d, 'UI', STUDY);
    expect(parsePart10Header(part10('1.2.3.999', bigEndian))).toMatchObject({ ok: false, reason: 'unsupported-transfer-syntax' });
  });

  it.each([
    ['an empty file', new Uint8Array(0)],
    ['a text file', new Uint8Array(ascii('patient list\nDoe, John\n'))],
    ['random bytes', new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251))],
    ['a preamble without DICM', new Uint8Array(200)],
  ])('reports not-dicom for %s', (_label, bytes) => {
    expect(parsePart10Header(bytes)).toMatchObject({ ok: false, reason: 'not-dicom' });
  });

  it('never throws on any prefix or corruption of a valid file', () => {
    const good = part10(EXPLICIT_LE, [
      ...ex(0x0008, 0x1032, 'SQ', [...itemUndefined(ex(0x0008, 0x0100, 'SH', even('X1'))), ...seqEnd], UNDEFINED),
      ...ex(0x0020, 0x000d, 'UI', STUDY),
    ]);
    const reasons = new Set<string>();
    for (let cut = 0; cut < good.length; cut++) {
      const result = parsePart10Header(good.subarray(0, cut));
      reasons.add(result.ok ? 'ok' : result.reason);
      const flipped = good.slice();
      flipped[cut] = flipped[cut]! ^ 0xff;
      const corrupted = parsePart10Header(flipped);
      reasons.add(corrupted.ok ? 'ok' : corrupted.reason);
    }
    expect([...reasons].sort()).toEqual(['malformed', 'not-dicom', 'ok', 'truncated']);
  });
});
