/**
 * Decoding of text values under Specific Character Set (0008,0005), PS3.3 §C.12.1.1.2 and
 * PS3.5 §6.1. Never throws: an unknown term falls back to ISO 8859-1, which keeps every byte.
 */
import { TextDecoder } from 'node:util';

/** Decodes `bytes[start, end)` of one element value into a JavaScript string. */
export type TextDecodeFn = (bytes: Buffer, start: number, end: number) => string;

const decoders = new Map<string, TextDecoder>();

/** A cached WHATWG decoder; `fatal: false` replaces undecodable bytes with U+FFFD. */
function decoder(label: string): TextDecoder {
  let found = decoders.get(label);
  if (found === undefined) {
    found = new TextDecoder(label);
    decoders.set(label, found);
  }
  return found;
}

/** ISO 8859-1 maps each byte to the code point of the same value (not windows-1252). */
export function latin1(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end);
}

function withDecoder(label: string): TextDecodeFn {
  return (bytes, start, end) => decoder(label).decode(bytes.subarray(start, end));
}

/** Single-byte and multi-byte sets without code extensions (PS3.3 Table C.12-2 and C.12-5). */
const PLAIN_SETS: Record<string, string> = {
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** G1 sets designated by ISO 2022 escape sequences (PS3.3 Table C.12-3 and C.12-4). */
type G1Set = TextDecodeFn | undefined;

const G1_BY_TERM: Record<string, string> = {
  'ISO 2022 IR 100': 'latin1',
  'ISO 2022 IR 101': 'iso-8859-2',
  'ISO 2022 IR 109': 'iso-8859-3',
  'ISO 2022 IR 110': 'iso-8859-4',
  'ISO 2022 IR 144': 'iso-8859-5',
  'ISO 2022 IR 127': 'iso-8859-6',
  'ISO 2022 IR 126': 'iso-8859-7',
  'ISO 2022 IR 138': 'iso-8859-8',
  'ISO 2022 IR 148': 'iso-8859-9',
  'ISO 2022 IR 203': 'iso-8859-15',
  'ISO 2022 IR 166': 'windows-874',
  'ISO 2022 IR 13': 'shift_jis',
  'ISO 2022 IR 149': 'euc-kr',
  'ISO 2022 IR 58': 'gbk',
};

/** Final byte of `ESC - F` (96-character sets) → decoder label. */
const G1_96_BY_FINAL: Record<number, string> = {
  0x41: 'latin1',
  0x42: 'iso-8859-2',
  0x43: 'iso-8859-3',
  0x44: 'iso-8859-4',
  0x4c: 'iso-8859-5',
  0x47: 'iso-8859-6',
  0x46: 'iso-8859-7',
  0x48: 'iso-8859-8',
  0x4d: 'iso-8859-9',
  0x62: 'iso-8859-15',
  0x54: 'windows-874',
};

function g1Decoder(label: string | undefined): G1Set {
  if (label === undefined) return undefined;
  return label === 'latin1' ? latin1 : withDecoder(label);
}

function isPlainAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === 0x1b) return false;
  }
  return true;
}

const enum G0 {
  Ascii,
  JisX0208,
  JisX0212,
}

/** Bytes that reset ISO 2022 designations to the initial state (PS3.5 §6.1.2.5.3). */
function isDelimiter(b: number): boolean {
  return b === 0x5e || b === 0x3d || b === 0x5c || b === 0x0d || b === 0x0a || b === 0x09 || b === 0x0c;
}

/**
 * ISO 2022 code extensions: a best effort over the combinations DICOM allows. Two-byte G0 runs
 * (JIS X 0208/0212) are rebuilt as EUC-JP; two-byte G1 runs (KS X 1001, GB 2312) are already
 * in EUC form; single-byte G1 sets decode the high half.
 */
function iso2022(initialG1: G1Set): TextDecodeFn {
  return (bytes, start, end) => {
    if (isPlainAscii(bytes, start, end)) return latin1(bytes, start, end);
    let g0 = G0.Ascii;
    let g1 = initialG1;
    let out = '';
    let i = start;
    while (i < end) {
      const b = bytes[i]!;
      if (b === 0x1b) {
        const consumed = applyEscape(bytes, i, end, (next0, next1) => {
          if (next0 !== undefined) g0 = next0;
          if (next1 !== undefined) g1 = next1;
        });
        i += consumed;
        continue;
      }
      let j = i;
      if (b < 0x80 && g0 !== G0.Ascii && b > 0x20 && b < 0x7f) {
        while (j < end && bytes[j]! > 0x20 && bytes[j]! < 0x7f) j++;
        out += decodeJis(bytes, i, j, g0);
      } else if (b < 0x80) {
        while (j < end && bytes[j]! < 0x80 && bytes[j] !== 0x1b && (g0 === G0.Ascii || bytes[j]! <= 0x20 || bytes[j] === 0x7f)) {
          if (g0 === G0.Ascii && isDelimiter(bytes[j]!)) g1 = initialG1;
          j++;
        }
        out += latin1(bytes, i, j);
      } else {
        while (j < end && bytes[j]! >= 0x80) j++;
        out += (g1 ?? latin1)(bytes, i, j);
      }
      i = j;
    }
    return out;
  };
}

function decodeJis(bytes: Uint8Array, start: number, end: number, set: G0): string {
  const pairs = (end - start) >> 1;
  const width = set === G0.JisX0212 ? 3 : 2;
  const euc = new Uint8Array(pairs * width);
  for (let p = 0; p < pairs; p++) {
    const at = p * width;
    if (width === 3) euc[at] = 0x8f;
    euc[at + width - 2] = bytes[start + 2 * p]! | 0x80;
    euc[at + width - 1] = bytes[start + 2 * p + 1]! | 0x80;
  }
  const text = decoder('euc-jp').decode(euc);
  return (end - start) % 2 === 1 ? text + String.fromCharCode(bytes[end - 1]!) : text;
}

/** Applies one escape sequence; returns how many bytes it spans (at least 1). */
function applyEscape(
  bytes: Uint8Array,
  at: number,
  end: number,
  set: (g0: G0 | undefined, g1: G1Set | undefined) => void,
): number {
  const b1 = at + 1 < end ? bytes[at + 1] : undefined;
  const b2 = at + 2 < end ? bytes[at + 2] : undefined;
  const b3 = at + 3 < end ? bytes[at + 3] : undefined;
  if (b1 === 0x28 && (b2 === 0x42 || b2 === 0x4a)) {
    set(G0.Ascii, undefined);
    return 3;
  }
  if (b1 === 0x24 && (b2 === 0x42 || b2 === 0x40)) {
    set(G0.JisX0208, undefined);
    return 3;
  }
  if (b1 === 0x24 && b2 === 0x28 && b3 === 0x44) {
    set(G0.JisX0212, undefined);
    return 4;
  }
  if (b1 === 0x29 && b2 === 0x49) {
    set(undefined, g1Decoder('shift_jis'));
    return 3;
  }
  if (b1 === 0x24 && b2 === 0x29 && (b3 === 0x43 || b3 === 0x41)) {
    set(undefined, g1Decoder(b3 === 0x43 ? 'euc-kr' : 'gbk'));
    return 4;
  }
  if (b1 === 0x2d && b2 !== undefined) {
    const label = G1_96_BY_FINAL[b2];
    if (label !== undefined) set(undefined, g1Decoder(label));
    return 3;
  }
  return 1;
}

/**
 * A decoder for the values of (0008,0005). The first value selects the initial set; values
 * after it only matter through ISO 2022 escape sequences. An empty or absent value is the
 * default repertoire, decoded leniently as ISO 8859-1 so stray high bytes survive.
 */
export function characterSetDecoder(terms: readonly (string | null)[]): TextDecodeFn {
  const normalized = terms.map((term) => (term ?? '').trim());
  const first = normalized[0] ?? '';
  const usesExtensions = normalized.some((term) => term.startsWith('ISO 2022'));
  if (usesExtensions) return iso2022(g1Decoder(G1_BY_TERM[first]));
  if (first === '' || first === 'ISO_IR 6' || first === 'ISO_IR 100') return latin1;
  const label = PLAIN_SETS[first];
  if (label === undefined) return latin1;
  const decode = withDecoder(label);
  return (bytes, start, end) => (isPlainAscii(bytes, start, end) ? latin1(bytes, start, end) : decode(bytes, start, end));
}

export const DEFAULT_CHARACTER_SET: TextDecodeFn = latin1;
