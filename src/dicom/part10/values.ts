/**
 * Element values in the DICOM JSON model (PS3.18 §F.2.3): strings split on backslash, padding
 * removed, empty values as null, IS/DS and binary numbers as JSON numbers, AT as hex, PN as
 * component groups. Binary VRs are kept only when small, as InlineBinary: the converter never
 * reads them and large ones would cost memory for nothing.
 */
import type { DicomElement, DicomValue, PersonNameValue } from '../dataset.js';
import { latin1, type TextDecodeFn } from './charset.js';

/** Largest OB/OW/UN… value kept as InlineBinary; larger binary elements are omitted. */
export const MAX_INLINE_BINARY = 64;

/** Text VRs decoded with Specific Character Set (PS3.5 §6.1.2.3); the others are ASCII. */
const CHARSET_VRS = new Set(['PN', 'LO', 'SH', 'ST', 'LT', 'UT', 'UC']);
/** VRs whose value is one string, never split on backslash (PS3.5 §6.2). */
const SINGLE_VALUED_TEXT = new Set(['ST', 'LT', 'UT', 'UR']);
/** VRs whose leading spaces are significant (PS3.5 Table 6.2-1). */
const KEEP_LEADING_SPACES = new Set(['ST', 'LT', 'UT', 'UC']);
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

/** Text VRs, whose values are decoded whatever their length (binary ones are kept only when small). */
export function isStringVr(vr: string): boolean {
  return STRING_VRS.has(vr);
}

/** The bytes being parsed and their byte order. */
export interface Source {
  readonly bytes: Buffer;
  readonly view: DataView;
  readonly littleEndian: boolean;
}

function trimValue(text: string, vr: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x00) break;
    end--;
  }
  let start = 0;
  if (!KEEP_LEADING_SPACES.has(vr)) {
    while (start < end && text.charCodeAt(start) === 0x20) start++;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Splits a PN value into its alphabetic, ideographic and phonetic groups (PS3.5 §6.2.1). */
export function personName(text: string): PersonNameValue {
  const groups = text.split('=');
  const name: PersonNameValue = {};
  const [alphabetic, ideographic, phonetic] = groups;
  if (alphabetic) name.Alphabetic = alphabetic;
  if (ideographic) name.Ideographic = ideographic;
  if (phonetic) name.Phonetic = phonetic;
  return name;
}

/** IS/DS as JSON numbers; a value that is not a number stays text so nothing is lost. */
function numberOrText(text: string): number | string {
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : text;
}

/** Decodes a string-VR value into DICOM JSON values. */
export function stringValues(vr: string, raw: string): DicomValue[] {
  const parts = SINGLE_VALUED_TEXT.has(vr) || !raw.includes('\\') ? [raw] : raw.split('\\');
  const out: DicomValue[] = [];
  let any = false;
  for (const part of parts) {
    const text = trimValue(part, vr);
    if (text === '') {
      out.push(null);
      continue;
    }
    any = true;
    if (vr === 'PN') out.push(personName(text));
    else if (vr === 'IS' || vr === 'DS') out.push(numberOrText(text));
    else out.push(text);
  }
  return any ? out : [];
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

const NUMBER_WIDTH: Readonly<Record<string, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8, AT: 4 };

function binaryNumbers(vr: string, src: Source, start: number, end: number): DicomValue[] | undefined {
  const { view, littleEndian: le } = src;
  const out: number[] = [];
  const width = NUMBER_WIDTH[vr];
  if (width === undefined) return undefined;
  const count = Math.floor((end - start) / width);
  if (vr === 'AT') {
    const tags: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = start + i * 4;
      tags.push(hex4(view.getUint16(at, le)) + hex4(view.getUint16(at + 2, le)));
    }
    return tags;
  }
  for (let i = 0; i < count; i++) {
    const at = start + i * width;
    switch (vr) {
      case 'US':
        out.push(view.getUint16(at, le));
        break;
      case 'SS':
        out.push(view.getInt16(at, le));
        break;
      case 'UL':
        out.push(view.getUint32(at, le));
        break;
      case 'SL':
        out.push(view.getInt32(at, le));
        break;
      case 'FL':
        out.push(view.getFloat32(at, le));
        break;
      case 'FD':
        out.push(view.getFloat64(at, le));
        break;
      case 'SV':
        out.push(Number(view.getBigInt64(at, le)));
        break;
      case 'UV':
        out.push(Number(view.getBigUint64(at, le)));
        break;
    }
  }
  return out.map((n) => (Number.isFinite(n) ? n : null)) as DicomValue[];
}

/**
 * One element's value. `text` decodes the charset-dependent VRs. Returns `undefined` for an
 * element left out of the dataset (a large binary value).
 */
export function decodeElement(vr: string, src: Source, start: number, end: number, text: TextDecodeFn): DicomElement | undefined {
  if (end === start) return { vr };
  if (STRING_VRS.has(vr)) {
    const raw = CHARSET_VRS.has(vr) ? text(src.bytes, start, end) : latin1(src.bytes, start, end);
    const values = stringValues(vr, raw);
    return values.length === 0 ? { vr } : { vr, Value: values };
  }
  const numbers = binaryNumbers(vr, src, start, end);
  if (numbers !== undefined) return numbers.length === 0 ? { vr } : { vr, Value: numbers };
  if (end - start > MAX_INLINE_BINARY) return undefined;
  return { vr, InlineBinary: src.bytes.toString('base64', start, end) };
}
