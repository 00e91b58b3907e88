/**
 * From Part 10 bytes to one DICOM JSON dataset: preamble and file meta (PS3.10 §7.1), the
 * transfer syntax it names (or a guess when there is none), then the dataset up to Pixel Data.
 */
import { constants, inflateRawSync, inflateSync } from 'node:zlib';
import type { Dataset } from '../dataset.js';
import type { ElementReuse } from './element-reuse.js';
import { DEFAULT_CHARACTER_SET } from './charset.js';
import {
  DatasetParser,
  isVrBytes,
  KNOWN_VRS,
  MAX_DECODED_ITEMS_ALL,
  MAX_DECODED_ITEMS_SELECTED,
  MAX_SELECTED_TEXT_BYTES,
  OutOfBytes,
  type ElementFilter,
} from './dataset-parser.js';
import { escapeControlCharacters } from '../../text/control-characters.js';
import { HeaderParseError, type HeaderResult } from './result.js';
import {
  encodingOf,
  EXPLICIT_BE,
  EXPLICIT_LE,
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_LE,
  IMPLICIT_VR_LITTLE_ENDIAN,
  type DatasetEncoding,
} from './transfer-syntax.js';

const PREAMBLE_LENGTH = 128;
const FILE_META_GROUP = 0x0002;
/**
 * Most of a deflated dataset (PS3.5 §A.5) inflated to find its header: far more than any header
 * needs (a few KiB, a few MiB with thousands of per-frame items), and small enough that a
 * deflate bomb (260 KB that inflate to 256 MiB of zeros) costs a bounded amount of memory
 * before it is skipped as too large.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** Deflate never expands more than 1032 to 1 (RFC 1951: a 258-byte match per 2 bits). */
const MAX_DEFLATE_RATIO = 1032;
/** First slice of a deflated dataset to inflate; grown fourfold while the header needs more. */
const FIRST_DEFLATE_SLICE = 2 * 1024;

/** A result, plus whether the parse stopped only because the buffer ended before the file did. */
/**
 * A result, plus whether the parse stopped only because the buffer ended before the file did,
 * and then how many bytes of the file the element it stopped in needs at least (`neededBytes`):
 * more than the file holds means the file is cut short, whatever is read.
 */
export type HeaderOutcome = HeaderResult & { readonly needsMoreBytes?: boolean; readonly neededBytes?: number };

export interface ParseOptions {
  /** Size of the whole file; when absent the bytes are taken to be the whole file. */
  fileSize?: number;
  /**
   * Top-level tags to decode (numbers such as `0x0020000d`); others are stepped over, which
   * saves most of the work when a caller reads a few dozen elements. Transfer Syntax UID and
   * Specific Character Set are always decoded. Without it, every element is decoded.
   */
  only?: ElementFilter;
  /**
   * Values decoded from earlier files, handed out again where this file holds the same bytes
   * (see {@link ElementReuse}); the elements are then shared between the datasets.
   */
  reuse?: ElementReuse;
}

function hasMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= PREAMBLE_LENGTH + 4 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

/**
 * Guesses the encoding of a dataset or meta group starting at `pos` from its first element:
 * the group (read in either byte order) must satisfy `plausible`, and explicit VR shows as two
 * VR letters after the tag. When both byte orders fit, the smaller group wins: datasets start
 * with low groups (0008 reads as 0800 in the wrong order). Returns `undefined` when the bytes do not look like DICOM at all.
 */
export function sniffEncoding(bytes: Uint8Array, pos: number, plausible: (group: number) => boolean): DatasetEncoding | undefined {
  if (pos + 8 > bytes.length) return undefined;
  const groupLe = bytes[pos]! | (bytes[pos + 1]! << 8);
  const groupBe = (bytes[pos]! << 8) | bytes[pos + 1]!;
  const c1 = bytes[pos + 4];
  const c2 = bytes[pos + 5];
  const explicit = isVrBytes(c1, c2) && KNOWN_VRS.has(String.fromCharCode(c1!, c2!));
  const bigEndianFits = explicit && plausible(groupBe) && groupBe < groupLe;
  if (plausible(groupLe) && !bigEndianFits) {
    if (explicit) return EXPLICIT_LE;
    const length = (bytes[pos + 4]! | (bytes[pos + 5]! << 8) | (bytes[pos + 6]! << 16)) + bytes[pos + 7]! * 0x1000000;
    return length === 0xffffffff || pos + 8 + length <= bytes.length || length < 0x1000000 ? IMPLICIT_LE : undefined;
  }
  if (plausible(groupBe) && explicit) return EXPLICIT_BE;
  return undefined;
}

/** Without preamble or meta, the first element must be an early public group (0004–0030). */
function isEarlyGroup(group: number): boolean {
  return (group & 1) === 0 && group >= 0x0004 && group <= 0x0030;
}

/** After a file meta or the DICM prefix: any group but the meta's own and the item tags. */
function isDatasetGroup(group: number): boolean {
  return group !== 0x0000 && group !== FILE_META_GROUP && group < 0xfffe;
}

function uidOf(encoding: DatasetEncoding): string {
  if (!encoding.explicitVr) return IMPLICIT_VR_LITTLE_ENDIAN;
  return encoding.littleEndian ? EXPLICIT_VR_LITTLE_ENDIAN : EXPLICIT_VR_BIG_ENDIAN;
}

function transferSyntaxOf(meta: Dataset): string | undefined {
  const value = meta['00020010']?.Value?.[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Parses the header of a Part 10 file. Pure and total: every problem is a `HeaderOutcome`
 * with a reason; `needsMoreBytes` tells the file reader that a longer read may succeed.
 */
export function parseHeaderBytes(bytes: Uint8Array, options: ParseOptions = {}): HeaderOutcome {
  const complete = options.fileSize === undefined || bytes.length >= options.fileSize;
  try {
    return parseOrThrow(bytes, options.fileSize ?? bytes.length, complete, options.only, options.reuse);
  } catch (error) {
    if (error instanceof OutOfBytes) {
      return { ok: false, reason: 'truncated', detail: error.message, needsMoreBytes: !complete, neededBytes: error.needed };
    }
    if (error instanceof HeaderParseError) return { ok: false, reason: error.reason, detail: error.message };
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, reason: 'malformed', detail: message };
  }
}

function parseOrThrow(bytes: Uint8Array, fileSize: number, complete: boolean, only: ElementFilter | undefined, reuse: ElementReuse | undefined): HeaderOutcome {
  if (bytes.length === 0) return { ok: false, reason: 'not-dicom', detail: 'empty file' };
  const magic = hasMagic(bytes);
  let pos = magic ? PREAMBLE_LENGTH + 4 : 0;
  const parser = new DatasetParser(bytes, maxItemsFor(only), maxTextBytesFor(only), reuse);
  const dataset: Dataset = {};

  let metaElements = 0;
  const metaEncoding = sniffEncoding(bytes, pos, (group) => group === FILE_META_GROUP);
  if (metaEncoding !== undefined && metaEncoding.littleEndian) {
    const meta = parser.parseTopLevel(parser.syntax(true, metaEncoding.explicitVr), pos, dataset, DEFAULT_CHARACTER_SET, {
      fileSize,
      complete,
      onlyGroup: FILE_META_GROUP,
      ...(only === undefined ? {} : { only }),
    });
    pos = meta.end;
    metaElements = meta.elementCount;
  }

  const declared = transferSyntaxOf(dataset);
  let encoding = declared === undefined ? undefined : encodingOf(declared);
  if (encoding === undefined) {
    if (!magic && metaElements === 0) {
      encoding = sniffEncoding(bytes, pos, isEarlyGroup);
      if (encoding === undefined) {
        if (!complete && bytes.length < PREAMBLE_LENGTH + 4) throw new OutOfBytes(0);
        return { ok: false, reason: 'not-dicom', detail: 'no DICM prefix, file meta or recognisable first element' };
      }
    } else if (declared !== undefined) {
      encoding = sniffEncoding(bytes, pos, isDatasetGroup) === EXPLICIT_LE ? EXPLICIT_LE : undefined;
      if (encoding === undefined) {
        return { ok: false, reason: 'unsupported-transfer-syntax', detail: `transfer syntax ${escapeControlCharacters(declared)}` };
      }
    } else {
      encoding = sniffEncoding(bytes, pos, isDatasetGroup);
      if (encoding === undefined) {
        if (pos >= bytes.length && !complete) throw new OutOfBytes(pos);
        const detail = pos >= bytes.length ? 'file meta but no dataset' : 'no transfer syntax and an unrecognisable dataset';
        return { ok: false, reason: magic ? 'malformed' : 'not-dicom', detail };
      }
    }
  }
  const transferSyntaxUid = declared ?? uidOf(encoding);
  // Some writers declare an explicit VR syntax but write the dataset in implicit VR: the first
  // element has no VR letters after its tag, and reading it as implicit VR recovers the file.
  if (encoding === EXPLICIT_LE && sniffEncoding(bytes, pos, isDatasetGroup) === IMPLICIT_LE) {
    encoding = IMPLICIT_LE;
  }

  if (encoding.deflated) {
    parseDeflated(bytes.subarray(pos), pos, complete, dataset, only, reuse);
  } else {
    parser.parseTopLevel(parser.syntax(encoding.littleEndian, encoding.explicitVr), pos, dataset, DEFAULT_CHARACTER_SET, {
      fileSize,
      complete,
      ...(only === undefined ? {} : { only }),
    });
  }
  return { ok: true, dataset, transferSyntaxUid };
}

function maxItemsFor(only: ElementFilter | undefined): number {
  return only === undefined ? MAX_DECODED_ITEMS_ALL : MAX_DECODED_ITEMS_SELECTED;
}

function maxTextBytesFor(only: ElementFilter | undefined): number {
  return only === undefined ? Number.POSITIVE_INFINITY : MAX_SELECTED_TEXT_BYTES;
}

const TOO_LARGE_INFLATED = `the deflated dataset inflates to more than ${MAX_INFLATED_BYTES / 1024 / 1024} MiB before its header ends`;

/** A zlib failure as the reason the file is skipped; anything else is not zlib's and goes on. */
function inflateFailure(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return new HeaderParseError('too-large', TOO_LARGE_INFLATED);
  if (code === 'Z_BUF_ERROR') return new HeaderParseError('truncated', 'the deflated dataset ends before its deflate stream does');
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new HeaderParseError('malformed', `the deflated dataset is corrupt (${(error as Error).message})`);
  }
  return error;
}

/**
 * Inflates `compressed`. A prefix (`final` false) yields what it holds; the whole stream must
 * end properly, or the file was cut short. PS3.5 §A.5 prescribes raw deflate; a stream that
 * fails as raw but carries a zlib header (some writers add one) is inflated as zlib. The output
 * goes to one buffer sized by the most the input can expand to, never above the cap, so zlib
 * neither gathers chunks nor copies them into a second buffer.
 */
function inflate(compressed: Uint8Array, final: boolean): Buffer {
  const options = {
    finishFlush: final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    maxOutputLength: MAX_INFLATED_BYTES,
    chunkSize: Math.min(MAX_INFLATED_BYTES + 1, compressed.length * MAX_DEFLATE_RATIO + 1024),
  };
  try {
    return inflateRawSync(compressed, options);
  } catch (rawError) {
    const zlibHeader = compressed.length >= 2 && (compressed[0]! & 0x0f) === 8 && ((compressed[0]! << 8) | compressed[1]!) % 31 === 0;
    if (!zlibHeader || (rawError as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw inflateFailure(rawError);
    try {
      return inflateSync(compressed, options);
    } catch (zlibError) {
      throw inflateFailure(zlibError);
    }
  }
}

/**
 * Deflated explicit VR little endian (PS3.5 §A.5): inflates a growing prefix of the stream
 * until the header is complete, so a large deflated file costs only its header. When the bytes
 * are the start of a file being read, all of them are inflated at once: the reader grows them
 * fourfold while the header needs more, and a second growth here would inflate everything
 * twice. An element that ends beyond {@link MAX_INFLATED_BYTES} makes the file too large at
 * once, before anything more is inflated.
 */
function parseDeflated(compressed: Uint8Array, offset: number, complete: boolean, target: Dataset, only: ElementFilter | undefined, reuse: ElementReuse | undefined): void {
  let slice = complete ? Math.min(FIRST_DEFLATE_SLICE, compressed.length) : compressed.length;
  while (true) {
    const whole = slice >= compressed.length;
    const inflated = inflate(compressed.subarray(0, slice), whole && complete);
    const parser = new DatasetParser(inflated, maxItemsFor(only), maxTextBytesFor(only), reuse);
    const attempt: Dataset = {};
    try {
      parser.parseTopLevel(parser.syntax(true, true), 0, attempt, DEFAULT_CHARACTER_SET, {
        fileSize: undefined,
        complete: whole && complete,
        ...(only === undefined ? {} : { only }),
      });
      Object.assign(target, attempt);
      return;
    } catch (error) {
      if (!(error instanceof OutOfBytes)) throw error;
      if (error.needed > MAX_INFLATED_BYTES) throw new HeaderParseError('too-large', TOO_LARGE_INFLATED);
      // Positions past here are of the inflated data: of the file, only one more byte is known to be needed.
      if (whole) throw new OutOfBytes(error.position, offset + compressed.length + 1);
      slice = Math.min(slice * 4, compressed.length);
    }
  }
}
