/**
 * The element loop (PS3.5 §7): explicit or implicit VR, either byte order, sequences and items
 * of defined or undefined length at any depth. Every length is checked against the bytes that
 * are left before anything is read, so a corrupt length ends the parse instead of an
 * allocation or a loop. Running out of bytes raises `OutOfBytes`, which the file layer answers
 * by reading more of the file or, at its end, by reporting the file as truncated.
 */
import type { Dataset, DicomElement } from '../dataset.js';
import { characterSetDecoder, DEFAULT_CHARACTER_SET, type TextDecodeFn } from './charset.js';
import { HeaderParseError } from './result.js';
import { decodeElement, isStringVr, type Source } from './values.js';
import { dictionaryVr } from './vr-dictionary.js';
import type { ElementReuse } from './element-reuse.js';

/** Sequences nested deeper than this are taken as corrupt data rather than followed. */
export const MAX_SEQUENCE_DEPTH = 64;
/**
 * Items a parse decodes, counted over every decoded sequence at any depth, when the caller reads
 * selected tags: the sequences a converter maps hold a few codes or identifiers each, so more
 * is a crafted file, not an instance, and would cost memory per item. Sequences outside the
 * selection (per-frame functional groups of an enhanced multi-frame image, thousands of items)
 * are stepped over, never decoded, so they count nothing.
 */
export const MAX_DECODED_ITEMS_SELECTED = 10_000;
/** The same bound when every element is decoded: high enough for any real per-frame sequence. */
export const MAX_DECODED_ITEMS_ALL = 1_000_000;
/**
 * Longest text value decoded when the caller reads selected tags. Those a converter maps are
 * short (LT, the longest, holds 10,240 characters), while a crafted one of 30 MB of backslashes
 * would become 30 million values and gigabytes of memory.
 */
export const MAX_SELECTED_TEXT_BYTES = 1024 * 1024;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const SPECIFIC_CHARACTER_SET = 0x00080005;
/** Transfer Syntax UID (0002,0010): how the rest of the file is encoded. */
const TRANSFER_SYNTAX_UID = 0x00020010;

/** Decoded whatever the selection: later elements depend on them (see {@link ElementFilter}). */
function alwaysDecoded(tag: number): boolean {
  return tag === SPECIFIC_CHARACTER_SET || tag === TRANSFER_SYNTAX_UID;
}
/** Float, double float and plain Pixel Data (7FE0,0008/0009/0010) end the header. */
const FIRST_PIXEL_TAG = 0x7fe00008;
export const PIXEL_DATA = 0x7fe00010;

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 §7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
/** Every VR of PS3.5 Table 6.2-1; any other two letters are read as UN with a 4-byte length. */
export const KNOWN_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL',
  'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US',
  'UT', 'UV',
]);

/**
 * Raised when the element at `position` needs bytes beyond the end of the buffer; `needed` is
 * how long the buffer would have to be for that element at least (from its declared length, or
 * just one more byte when that is all that is known), so a caller can tell a short read from a
 * file cut short or a header larger than it will ever hold.
 */
export class OutOfBytes extends HeaderParseError {
  constructor(
    readonly position: number,
    readonly needed: number = position + 1,
  ) {
    super('truncated', `data ends inside the element at byte ${position}`);
  }
}

/** One byte order plus VR mode. */
export interface Syntax {
  readonly src: Source;
  readonly explicitVr: boolean;
}

/** What the top-level parse has to know about the file around the dataset bytes. */
export interface TopLevel {
  /** The whole file's size, when the bytes are a plain (not inflated) part of it. */
  readonly fileSize: number | undefined;
  /** True when the buffer holds everything there is: running out at an element boundary is the end. */
  readonly complete: boolean;
  /** Only elements of this group are read (the file meta, group 0002). */
  readonly onlyGroup?: number;
  /** When set, only these top-level tags are decoded; see {@link ElementFilter}. */
  readonly only?: ElementFilter;
}

/**
 * Top-level tags a caller will read. Every other top-level element is stepped over without
 * decoding its value: by its length, or, for a sequence of undefined length, by following its
 * item structure without decoding it (so it costs no memory however many items it has).
 * Specific Character Set and Transfer Syntax UID are always decoded, since later text and
 * the rest of the file depend on them; the file meta's other elements are selected like any
 * other. Items of kept sequences are kept whole.
 */
export type ElementFilter = ReadonlySet<number>;

export interface ParsedTopLevel {
  readonly end: number;
  readonly elementCount: number;
}

function u16(src: Source, at: number): number {
  const b = src.bytes;
  return src.littleEndian ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}

function u32(src: Source, at: number): number {
  const b = src.bytes;
  return src.littleEndian
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000
    : b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

const TAG_KEYS = new Map<number, string>();
/** Bound on the key cache, so a file full of distinct junk tags cannot grow it without end. */
const MAX_CACHED_KEYS = 8192;

/** The DICOM JSON key of a tag (`0020000D`), cached because the same tags recur in every file. */
function tagHex(tag: number): string {
  let key = TAG_KEYS.get(tag);
  if (key === undefined) {
    key = tag.toString(16).toUpperCase().padStart(8, '0');
    if (TAG_KEYS.size < MAX_CACHED_KEYS) TAG_KEYS.set(tag, key);
  }
  return key;
}

/** Two upper-case ASCII letters, as every VR is. */
export function isVrBytes(c1: number | undefined, c2: number | undefined): boolean {
  return c1 !== undefined && c2 !== undefined && c1 >= 0x41 && c1 <= 0x5a && c2 >= 0x41 && c2 <= 0x5a;
}

function malformed(message: string): HeaderParseError {
  return new HeaderParseError('malformed', message);
}

function undefinedLengthNonSequence(header: Header): HeaderParseError {
  return malformed(`element ${tagHex(header.tag)} of VR ${header.vr} has undefined length`);
}

function isFragmentVr(vr: string): boolean {
  return vr === 'OB' || vr === 'OW' || vr === 'OF' || vr === 'OD' || vr === 'OL' || vr === 'OV';
}

/** VR letters → index in 26 × 26 tables, so reading a VR allocates nothing. */
function vrIndex(c1: number, c2: number): number {
  return (c1 - 0x41) * 26 + (c2 - 0x41);
}

const VR_BY_INDEX: (string | undefined)[] = new Array<string | undefined>(26 * 26).fill(undefined);
const LONG_BY_INDEX = new Uint8Array(26 * 26);
for (const vr of KNOWN_VRS) {
  const index = vrIndex(vr.charCodeAt(0), vr.charCodeAt(1));
  VR_BY_INDEX[index] = vr;
  LONG_BY_INDEX[index] = LONG_VRS.has(vr) ? 1 : 0;
}

interface Header {
  tag: number;
  vr: string;
  length: number;
  valueStart: number;
  explicitVr: boolean;
}

/** Reads tag, VR and length at `pos`; the caller guarantees 8 bytes are there. */
function readHeader(syntax: Syntax, pos: number, limit: number): Header {
  const { src } = syntax;
  const tag = u16(src, pos) * 0x10000 + u16(src, pos + 2);
  if (tag >>> 16 === 0xfffe || !syntax.explicitVr) {
    return { tag, vr: '', length: u32(src, pos + 4), valueStart: pos + 8, explicitVr: false };
  }
  const c1 = src.bytes[pos + 4]!;
  const c2 = src.bytes[pos + 5]!;
  if (!isVrBytes(c1, c2)) throw malformed(`invalid VR bytes at ${pos} in element ${tagHex(tag)}`);
  const index = vrIndex(c1, c2);
  const vr = VR_BY_INDEX[index];
  if (vr === undefined || LONG_BY_INDEX[index] === 1) {
    if (pos + 12 > limit) throw new OutOfBytes(pos);
    return { tag, vr: vr ?? 'UN', length: u32(src, pos + 8), valueStart: pos + 12, explicitVr: true };
  }
  return { tag, vr, length: u16(src, pos + 6), valueStart: pos + 8, explicitVr: true };
}

/** Parser state shared by one file's parse. */
export class DatasetParser {
  private readonly limit: number;
  /** Implicit VR little endian over the same bytes, for undefined-length UN (PS3.5 §6.2.2). */
  private readonly implicitLe: Syntax;

  /** Items decoded so far, against `maxItems`. */
  private decodedItems = 0;

  /** `maxItems` bounds the items decoded over the whole parse (see {@link MAX_DECODED_ITEMS_SELECTED}). */
  constructor(
    input: Uint8Array,
    private readonly maxItems: number = MAX_DECODED_ITEMS_ALL,
    private readonly maxTextBytes: number = Number.POSITIVE_INFINITY,
    /** Top-level values decoded from earlier files, to hand out again for the same bytes. */
    private readonly reuse?: ElementReuse,
  ) {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.limit = bytes.length;
    this.implicitLe = { src: { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), littleEndian: true }, explicitVr: false };
  }

  /** Makes the `Syntax` for this buffer. */
  syntax(littleEndian: boolean, explicitVr: boolean): Syntax {
    if (littleEndian && !explicitVr) return this.implicitLe;
    return { src: { ...this.implicitLe.src, littleEndian }, explicitVr };
  }

  /**
   * Reads top-level elements from `start` into `target` until Pixel Data, the end of the
   * buffer (when complete) or, for the file meta, the first element of another group.
   */
  parseTopLevel(syntax: Syntax, start: number, target: Dataset, text: TextDecodeFn, top: TopLevel): ParsedTopLevel {
    let pos = start;
    let count = 0;
    const { src } = syntax;
    let decode = text;
    while (true) {
      if (pos === this.limit && top.complete) break;
      if (pos + 8 > this.limit) {
        if (top.onlyGroup !== undefined && top.complete) break;
        throw new OutOfBytes(pos);
      }
      const group = u16(src, pos);
      if (top.onlyGroup !== undefined && group !== top.onlyGroup) break;
      if (top.only !== undefined) {
        const after = this.stepOverUnselected(syntax, pos, group, top.only);
        if (after >= 0) {
          count++;
          pos = after;
          continue;
        }
      }
      const header = readHeader(syntax, pos, this.limit);
      if (group === 0xfffe) throw malformed(`item tag ${tagHex(header.tag)} outside a sequence at byte ${pos}`);
      if (header.tag >= FIRST_PIXEL_TAG) {
        this.checkPixelData(header, top);
        break;
      }
      const skip = top.only !== undefined && !alwaysDecoded(header.tag) && !top.only.has(header.tag);
      const next = this.readElement(syntax, header, Number.POSITIVE_INFINITY, target, decode, 0, skip);
      if (header.tag === SPECIFIC_CHARACTER_SET) decode = charsetOf(target, text);
      count++;
      pos = next;
    }
    return { end: pos, elementCount: count };
  }

  /**
   * The position after the element at `pos` when the selection leaves it out and its value ends
   * within the buffer at a defined length; otherwise -1, and the general path (which decodes,
   * follows undefined lengths and raises the errors) reads it. Most of a header is elements
   * nobody reads, so this path reads only tag, VR and length and allocates nothing.
   */
  private stepOverUnselected(syntax: Syntax, pos: number, group: number, only: ElementFilter): number {
    const { src } = syntax;
    const tag = group * 0x10000 + u16(src, pos + 2);
    if (group === 0xfffe || tag >= FIRST_PIXEL_TAG || alwaysDecoded(tag) || only.has(tag)) return -1;
    let length: number;
    let valueStart: number;
    if (!syntax.explicitVr) {
      length = u32(src, pos + 4);
      valueStart = pos + 8;
    } else {
      const c1 = src.bytes[pos + 4]!;
      const c2 = src.bytes[pos + 5]!;
      if (!isVrBytes(c1, c2)) return -1;
      const index = vrIndex(c1, c2);
      if (VR_BY_INDEX[index] === undefined || LONG_BY_INDEX[index] === 1) {
        if (pos + 12 > this.limit) return -1;
        length = u32(src, pos + 8);
        valueStart = pos + 12;
      } else {
        length = u16(src, pos + 6);
        valueStart = pos + 8;
      }
    }
    if (length === UNDEFINED_LENGTH) return -1;
    const valueEnd = valueStart + length;
    return valueEnd <= this.limit ? valueEnd : -1;
  }

  /**
   * Pixel Data longer than what is left of the file means the file was cut short: the header
   * alone parses, so this is the only sign of it that does not need the pixels read.
   */
  private checkPixelData(header: Header, top: TopLevel): void {
    if (header.tag !== PIXEL_DATA || header.length === UNDEFINED_LENGTH || top.fileSize === undefined) return;
    const end = header.valueStart + header.length;
    if (end > top.fileSize) {
      throw new HeaderParseError(
        'truncated',
        `Pixel Data declares ${header.length} bytes but the file ends ${end - top.fileSize} bytes short`,
      );
    }
  }

  /**
   * Reads one element's value into `target` (or skips it) and returns the position after it.
   * An element not kept (`filtered`, private, group length) is stepped over undecoded.
   */
  private readElement(
    syntax: Syntax,
    header: Header,
    containerEnd: number,
    target: Dataset,
    text: TextDecodeFn,
    depth: number,
    filtered = false,
  ): number {
    const { tag, valueStart } = header;
    const group = tag >>> 16;
    const keep = (group & 1) === 0 && (tag & 0xffff) !== 0 && !filtered;
    if (header.length === UNDEFINED_LENGTH) {
      return keep ? this.readUndefinedLength(syntax, header, target, text, depth) : this.skipUndefinedLength(syntax, header, depth);
    }
    const valueEnd = valueStart + header.length;
    if (valueEnd > containerEnd) {
      if (containerEnd <= this.limit) throw malformed(`element ${tagHex(tag)} runs past the end of its item`);
      throw new OutOfBytes(valueStart - 8, valueEnd);
    }
    if (valueEnd > this.limit) throw new OutOfBytes(valueStart - 8, valueEnd);
    if (!keep) return valueEnd;
    const vr = header.explicitVr ? header.vr : dictionaryVr(tag);
    if (header.length > this.maxTextBytes && isStringVr(vr === 'UN' ? dictionaryVr(tag) : vr)) {
      throw new HeaderParseError('too-large', `element ${tagHex(tag)} holds ${header.length} bytes of text`);
    }
    // Sequences are always decoded: their items count against `maxItems`, whatever came before.
    const reuse = depth === 0 && vr !== 'SQ' && !(vr === 'UN' && header.explicitVr) ? this.reuse : undefined;
    if (reuse !== undefined) {
      const same = reuse.find(tag, vr, header.explicitVr, text, syntax.src, valueStart, valueEnd);
      if (same !== undefined) {
        target[tagHex(tag)] = same;
        return valueEnd;
      }
    }
    let element: DicomElement | undefined;
    if (vr === 'SQ') {
      element = { vr, Value: this.readItems(syntax, valueStart, valueEnd, text, depth + 1).items };
    } else if (vr === 'UN' && header.explicitVr) {
      element = this.readKnownUn(tag, valueStart, valueEnd, text, depth);
    } else {
      element = decodeElement(vr, syntax.src, valueStart, valueEnd, text);
    }
    if (element !== undefined) {
      target[tagHex(tag)] = element;
      reuse?.remember(tag, vr, header.explicitVr, text, syntax.src, valueStart, valueEnd, element);
    }
    return valueEnd;
  }

  /**
   * A public element stored as UN in explicit VR (written by a system that did not know it):
   * decoded with the dictionary VR, as implicit VR little endian, which is how UN keeps its
   * value (PS3.5 §6.2.2).
   */
  private readKnownUn(tag: number, start: number, end: number, text: TextDecodeFn, depth: number): DicomElement | undefined {
    const vr = dictionaryVr(tag);
    if (vr === 'SQ') return { vr, Value: this.readItems(this.implicitLe, start, end, text, depth + 1).items };
    return decodeElement(vr, this.implicitLe.src, start, end, text);
  }

  private readUndefinedLength(syntax: Syntax, header: Header, target: Dataset, text: TextDecodeFn, depth: number): number {
    const vr = header.explicitVr ? header.vr : dictionaryVr(header.tag);
    const { valueStart } = header;
    if (header.explicitVr && vr !== 'SQ' && vr !== 'UN') {
      if (isFragmentVr(vr)) return this.skipFragments(syntax, valueStart);
      throw undefinedLengthNonSequence(header);
    }
    const itemSyntax = header.explicitVr && vr === 'UN' ? this.implicitLe : syntax;
    const { items, end } = this.readItems(itemSyntax, valueStart, Number.POSITIVE_INFINITY, text, depth + 1);
    target[tagHex(header.tag)] = { vr: 'SQ', Value: items };
    return end;
  }

  /**
   * Steps over an element of undefined length that is not kept: a sequence (or UN holding one)
   * is followed item by item to its delimiter, stepping over items and elements of defined
   * length by their length and allocating nothing, so a sequence of millions of items costs
   * time linear in its undefined-length structure and no memory. The checks are those of the
   * decoding path: the same files are malformed or truncated either way.
   */
  private skipUndefinedLength(syntax: Syntax, header: Header, depth: number): number {
    const vr = header.explicitVr ? header.vr : dictionaryVr(header.tag);
    if (header.explicitVr && vr !== 'SQ' && vr !== 'UN') {
      if (isFragmentVr(vr)) return this.skipFragments(syntax, header.valueStart);
      throw undefinedLengthNonSequence(header);
    }
    const itemSyntax = header.explicitVr && vr === 'UN' ? this.implicitLe : syntax;
    return this.skipItems(itemSyntax, header.valueStart, depth + 1);
  }

  /** The items of an undefined-length sequence up to its delimiter; returns the position after it. */
  private skipItems(syntax: Syntax, start: number, depth: number): number {
    if (depth > MAX_SEQUENCE_DEPTH) throw malformed(`sequences nested deeper than ${MAX_SEQUENCE_DEPTH}`);
    const { src } = syntax;
    let pos = start;
    while (true) {
      if (pos + 8 > this.limit) throw new OutOfBytes(pos);
      const tag = u16(src, pos) * 0x10000 + u16(src, pos + 2);
      const length = u32(src, pos + 4);
      if (tag === SEQUENCE_DELIMITATION) return pos + 8;
      if (tag !== ITEM) throw malformed(`expected an item at byte ${pos}, found ${tagHex(tag)}`);
      if (length === UNDEFINED_LENGTH) {
        pos = this.skipItemElements(syntax, pos + 8, depth);
      } else {
        if (pos + 8 + length > this.limit) throw new OutOfBytes(pos, pos + 8 + length);
        pos += 8 + length;
      }
    }
  }

  /** The elements of an undefined-length item up to its Item Delimitation Item. */
  private skipItemElements(given: Syntax, start: number, depth: number): number {
    const syntax = this.looksImplicit(given, start) ? this.implicitLe : given;
    let pos = start;
    while (true) {
      if (pos + 8 > this.limit) throw new OutOfBytes(pos);
      const header = readHeader(syntax, pos, this.limit);
      if (header.tag === ITEM_DELIMITATION) return pos + 8;
      if (header.tag >>> 16 === 0xfffe) throw malformed(`unexpected ${tagHex(header.tag)} inside an item at byte ${pos}`);
      if (header.length === UNDEFINED_LENGTH) {
        pos = this.skipUndefinedLength(syntax, header, depth);
      } else {
        pos = header.valueStart + header.length;
        if (pos > this.limit) throw new OutOfBytes(header.valueStart - 8, pos);
      }
    }
  }

  private looksImplicit(syntax: Syntax, pos: number): boolean {
    if (!syntax.explicitVr || !syntax.src.littleEndian || pos + 8 > this.limit) return false;
    const bytes = syntax.src.bytes;
    const isDelimiter = bytes[pos] === 0xfe && bytes[pos + 1] === 0xff;
    return !isDelimiter && !isVrBytes(bytes[pos + 4], bytes[pos + 5]);
  }

  /** Encapsulated fragments (PS3.5 §A.4), e.g. an icon's compressed pixels: skipped. */
  private skipFragments(syntax: Syntax, start: number): number {
    let pos = start;
    while (true) {
      if (pos + 8 > this.limit) throw new OutOfBytes(pos);
      const tag = u16(syntax.src, pos) * 0x10000 + u16(syntax.src, pos + 2);
      const length = u32(syntax.src, pos + 4);
      if (tag === SEQUENCE_DELIMITATION) return pos + 8;
      if (tag !== ITEM || length === UNDEFINED_LENGTH) throw malformed(`invalid fragment at byte ${pos}`);
      if (pos + 8 + length > this.limit) throw new OutOfBytes(pos, pos + 8 + length);
      pos += 8 + length;
    }
  }

  /** Items of a sequence; `end` is infinite for undefined length (ended by FFFE,E0DD). */
  private readItems(syntax: Syntax, start: number, end: number, text: TextDecodeFn, depth: number): { items: Dataset[]; end: number } {
    if (depth > MAX_SEQUENCE_DEPTH) throw malformed(`sequences nested deeper than ${MAX_SEQUENCE_DEPTH}`);
    const items: Dataset[] = [];
    const { src } = syntax;
    let pos = start;
    while (pos < end) {
      if (pos + 8 > end && end <= this.limit) throw malformed(`sequence ends inside an item header at byte ${pos}`);
      if (pos + 8 > this.limit) throw new OutOfBytes(pos);
      const tag = u16(src, pos) * 0x10000 + u16(src, pos + 2);
      const length = u32(src, pos + 4);
      if (tag === SEQUENCE_DELIMITATION) return { items, end: pos + 8 };
      if (tag !== ITEM) throw malformed(`expected an item at byte ${pos}, found ${tagHex(tag)}`);
      if (++this.decodedItems > this.maxItems) {
        throw new HeaderParseError('too-large', `more than ${this.maxItems} sequence items to decode`);
      }
      const item: Dataset = {};
      if (length === UNDEFINED_LENGTH) {
        pos = this.readItem(syntax, pos + 8, Number.POSITIVE_INFINITY, item, text, depth);
      } else {
        const itemEnd = pos + 8 + length;
        if (itemEnd > end) {
          if (end <= this.limit) throw malformed(`item at byte ${pos} runs past the end of its sequence`);
          throw new OutOfBytes(pos, itemEnd);
        }
        if (itemEnd > this.limit) throw new OutOfBytes(pos, itemEnd);
        this.readItem(syntax, pos + 8, itemEnd, item, text, depth);
        pos = itemEnd;
      }
      items.push(item);
    }
    return { items, end: pos };
  }

  /**
   * An item's elements up to `end`, or to its Item Delimitation Item when `end` is infinite.
   * An item of an explicit VR little endian file whose first element has no VR letters was
   * written in implicit VR (a known writer fault); it is read as such.
   */
  private readItem(given: Syntax, start: number, end: number, target: Dataset, text: TextDecodeFn, depth: number): number {
    let pos = start;
    let decode = text;
    const syntax = this.looksImplicit(given, start) ? this.implicitLe : given;
    while (pos < end) {
      if (pos + 8 > end && end <= this.limit) throw malformed(`item ends inside an element header at byte ${pos}`);
      if (pos + 8 > this.limit) throw new OutOfBytes(pos);
      const header = readHeader(syntax, pos, this.limit);
      if (header.tag === ITEM_DELIMITATION) return pos + 8;
      if (header.tag >>> 16 === 0xfffe) throw malformed(`unexpected ${tagHex(header.tag)} inside an item at byte ${pos}`);
      pos = this.readElement(syntax, header, end, target, decode, depth);
      if (header.tag === SPECIFIC_CHARACTER_SET) decode = charsetOf(target, text);
    }
    return pos;
  }
}

/**
 * The decoder named by a dataset's (0008,0005) just read; an empty value is the default
 * repertoire (PS3.3 §C.12.1.1.2), an element left out (kept as UN) keeps the inherited one.
 */
function charsetOf(ds: Dataset, inherited: TextDecodeFn): TextDecodeFn {
  const element = ds['00080005'];
  if (element === undefined) return inherited;
  const terms = element.Value;
  if (terms === undefined || terms.length === 0) return DEFAULT_CHARACTER_SET;
  return characterSetDecoder(terms.map((term) => (typeof term === 'string' ? term : null)));
}
