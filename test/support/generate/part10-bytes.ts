/**
 * Byte-level DICOM Part 10 writer for tests that need files no toolkit writes: corrupted UIDs,
 * deflate bombs, millions of sequence items. Explicit VR little endian (PS3.5 §7.1.2), items
 * and sequences of defined or undefined length (§7.5), a file meta group (PS3.10 §7.1).
 */
import { deflateRawSync } from 'node:zlib';

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
export const UNDEFINED_LENGTH = 0xffffffff;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const ENHANCED_MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4.1';

/** `0x0020000d` from `(0020,000D)`-style group and element. */
export function tag(group: number, element: number): number {
  return group * 0x10000 + element;
}

function tagBytes(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt16LE(value >>> 16, 0);
  out.writeUInt16LE(value & 0xffff, 2);
  return out;
}

/** A text value padded to even length (UI with NUL, everything else with a space: PS3.5 §6.2). */
export function text(value: string, vr = 'LO'): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
}

/** The 8- or 12-byte element header; `length` defaults to the value's. */
export function elementHeader(t: number, vr: string, length: number): Buffer {
  if (LONG_VRS.has(vr)) {
    const head = Buffer.alloc(12);
    tagBytes(t).copy(head, 0);
    head.write(vr, 4, 'latin1');
    head.writeUInt32LE(length >>> 0, 8);
    return head;
  }
  const head = Buffer.alloc(8);
  tagBytes(t).copy(head, 0);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(length, 6);
  return head;
}

export function element(t: number, vr: string, value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? text(value, vr) : value;
  return Buffer.concat([elementHeader(t, vr, bytes.length), bytes]);
}

export function item(content: Buffer, undefinedLength = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(undefinedLength ? UNDEFINED_LENGTH : content.length, 4);
  return undefinedLength ? Buffer.concat([head, content, delimiter(0xe00d)]) : Buffer.concat([head, content]);
}

/** Item (E00D) or Sequence (E0DD) Delimitation Item. */
export function delimiter(element: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(0xfffe, 0);
  out.writeUInt16LE(element, 2);
  return out;
}

export function sequence(t: number, items: readonly Buffer[], undefinedLength = false): Buffer {
  const body = Buffer.concat([...items]);
  if (undefinedLength) return Buffer.concat([elementHeader(t, 'SQ', UNDEFINED_LENGTH), body, delimiter(0xe0dd)]);
  return Buffer.concat([elementHeader(t, 'SQ', body.length), body]);
}

export interface InstanceUids {
  study?: string;
  series?: string;
  sop?: string;
  sopClass?: string;
}

/**
 * The elements an instance needs to be placed, plus `extra` elements (tag and encoded bytes),
 * all in ascending tag order as PS3.5 §7.1 requires; a UID left `undefined` is omitted.
 */
export function instanceElements(
  uids: InstanceUids,
  options: { modality?: string; instanceNumber?: number; extra?: ReadonlyArray<readonly [number, Buffer]> } = {},
): Buffer {
  const parts: Array<readonly [number, Buffer]> = [[tag(0x0008, 0x0016), element(tag(0x0008, 0x0016), 'UI', uids.sopClass ?? CT_IMAGE_STORAGE)]];
  const add = (t: number, vr: string, value: string | undefined): void => {
    if (value !== undefined) parts.push([t, element(t, vr, value)]);
  };
  add(tag(0x0008, 0x0018), 'UI', uids.sop);
  add(tag(0x0008, 0x0060), 'CS', options.modality ?? 'CT');
  add(tag(0x0020, 0x000d), 'UI', uids.study);
  add(tag(0x0020, 0x000e), 'UI', uids.series);
  add(tag(0x0020, 0x0013), 'IS', options.instanceNumber === undefined ? undefined : String(options.instanceNumber));
  parts.push(...(options.extra ?? []));
  return Buffer.concat(parts.sort((x, y) => x[0] - y[0]).map(([, bytes]) => bytes));
}

/** Preamble, `DICM`, a file meta group naming `transferSyntax`, then `dataset` as given. */
export function part10(transferSyntax: string, dataset: Buffer, sopClass = CT_IMAGE_STORAGE): Buffer {
  const meta = Buffer.concat([
    element(tag(0x0002, 0x0001), 'OB', Buffer.from([0, 1])),
    element(tag(0x0002, 0x0002), 'UI', sopClass),
    element(tag(0x0002, 0x0010), 'UI', transferSyntax),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length, 0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(tag(0x0002, 0x0000), 'UL', groupLength), meta, dataset]);
}

/** A Deflated Explicit VR Little Endian file (PS3.5 §A.5): the dataset as raw deflate. */
export function deflatedPart10(dataset: Buffer, sopClass = CT_IMAGE_STORAGE): Buffer {
  return part10(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, deflateRawSync(dataset, { level: 9 }), sopClass);
}

/** A small Pixel Data element so the file is a complete image. */
export function pixelData(bytes = 16): Buffer {
  return element(tag(0x7fe0, 0x0010), 'OW', Buffer.alloc(bytes));
}

/** A seeded pseudo-random generator (mulberry32), so generated files are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
