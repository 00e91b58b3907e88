/**
 * Incremental reader of a DICOM JSON answer (PS3.18 §F.2: a JSON array of one object per
 * instance) that keeps, of each dataset, only the elements the converter reads.
 */
import type { Dataset, DicomElement } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';

/** What went wrong with the bytes of an answer, each with its own message (see `metadata-stream.ts`). */
export type DatasetStreamProblem =
  /** The bytes are not JSON (an HTML login page, a proxy's text error, a syntax error in a kept value). */
  | 'not-json'
  /** JSON, but not an array of objects (e.g. `{"error": …}` or `[1, 2]`). */
  | 'not-datasets'
  /** One dataset is larger than the reader holds at once. */
  | 'too-large'
  /** The answer ended before its closing `]`. */
  | 'truncated';

export class DatasetStreamError extends Error {
  override readonly name = 'DatasetStreamError';
  constructor(
    readonly problem: DatasetStreamProblem,
    message: string,
    /** Bytes of the answer read when the problem was seen. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Every element key the converter can read (it reads DICOM only through `Tag`, STYLE §3), by the
 * tag's number, so a key is looked up from its 8 bytes without making a string of it.
 */
const KNOWN: ReadonlyMap<number, string> = new Map(Object.values(Tag).map((key) => [Number.parseInt(key, 16), key]));

/** Value of an upper-case hex digit byte (0-9, A-F: keys are upper case, PS3.18 §F.2.1.1), else -1. */
const HEX = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) HEX[0x30 + d] = d;
for (let d = 0; d < 6; d++) HEX[0x41 + d] = 10 + d;

/** The tag number of an 8-hex-digit key at `start`, or -1. */
function tagNumber(bytes: Buffer, start: number): number {
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const digit = HEX[bytes[i] as number] as number;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Largest single dataset held at once by default: 64 MiB (a CT instance is ~20 KB). */
export const DEFAULT_MAX_DATASET_BYTES = 64 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** What a byte means to the scanner; every byte not listed (white space, letters, digits…) is PLAIN. */
const PLAIN = 0;
const KIND_QUOTE = 1;
const KIND_BACKSLASH = 2;
const KIND_OPEN = 3;
const KIND_CLOSE = 4;
const KIND_COMMA = 5;
const KIND_COLON = 6;
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[QUOTE] = KIND_QUOTE;
BYTE_KIND[BACKSLASH] = KIND_BACKSLASH;
BYTE_KIND[OPEN_OBJECT] = KIND_OPEN;
BYTE_KIND[OPEN_ARRAY] = KIND_OPEN;
BYTE_KIND[CLOSE_OBJECT] = KIND_CLOSE;
BYTE_KIND[CLOSE_ARRAY] = KIND_CLOSE;
BYTE_KIND[COMMA] = KIND_COMMA;
BYTE_KIND[COLON] = KIND_COLON;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Where the reader is in the answer, outside the dataset being read. */
const Outer = { BeforeArray: 0, InArray: 1, InDataset: 2, AfterArray: 3 } as const;
type OuterState = (typeof Outer)[keyof typeof Outer];

/** One element of the current dataset: byte offsets within it of its key and value. */
interface ElementSpan {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** The bytes and parsed element last seen for one tag, to reuse the element when the bytes repeat. */
interface LastElement {
  raw: Buffer;
  element: DicomElement;
}

/**
 * Feed it the answer's chunks with `push` and call `end` at the end of the body; each complete
 * dataset goes to `onDataset` as soon as its closing brace arrives, so memory holds one dataset's
 * bytes at a time, never the whole answer.
 *
 * The structure (strings, nesting, commas) is followed byte by byte without building anything;
 * only the values of elements whose tag is in `Tag` are parsed (`JSON.parse` of their own bytes),
 * the others are skipped without being decoded. This keeps exactly the elements of a fully
 * parsed dataset whose keys are in `Tag`, in the same key order, so the converter's output is the same
 * (test/dicomweb/stream-parity.int.test.ts). Skipped values are checked only for their structure.
 *
 * A value whose bytes equal those of the previous dataset of the same answer (patient, study,
 * series and equipment elements, in nearly every instance) is not parsed again: the previous
 * element object is handed out instead, as the folder reader's interner does. The converter only
 * reads datasets, so the sharing is invisible to it.
 */
export class DatasetStreamReader {
  private outer: OuterState = Outer.BeforeArray;
  private bytesRead = 0;
  private datasetsRead = 0;
  /** Inside the current dataset. */
  private pieces: Buffer[] = [];
  private datasetBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectingKey = true;
  private stringIsKey = false;
  private current: ElementSpan = { keyStart: -1, keyEnd: -1, valueStart: -1, valueEnd: -1 };
  private spans: ElementSpan[] = [];
  private readonly last = new Map<string, LastElement>();

  constructor(
    private readonly onDataset: (dataset: Dataset) => void,
    private readonly maxDatasetBytes: number = DEFAULT_MAX_DATASET_BYTES,
  ) {}

  /** Datasets handed out so far. */
  get count(): number {
    return this.datasetsRead;
  }

  /** Bytes of the answer read so far. */
  get bytes(): number {
    return this.bytesRead;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.outer === Outer.InDataset) {
        i = this.scanDataset(chunk, i);
        continue;
      }
      const byte = chunk[i] as number;
      i += 1;
      if (isWhitespace(byte)) continue;
      const at = this.bytesRead + i - 1;
      if (this.outer === Outer.BeforeArray) {
        if (byte === OPEN_ARRAY) this.outer = Outer.InArray;
        else if (byte === OPEN_OBJECT) throw new DatasetStreamError('not-datasets', 'the answer is a JSON object, not an array of datasets', at);
        else if (at === 0 && byte === 0xef) continue; // UTF-8 byte order mark
        else if (at <= 2 && (byte === 0xbb || byte === 0xbf)) continue;
        else throw new DatasetStreamError('not-json', `the answer is not JSON (byte ${at} is 0x${byte.toString(16).padStart(2, '0')})`, at);
      } else if (this.outer === Outer.InArray) {
        if (byte === OPEN_OBJECT) {
          this.outer = Outer.InDataset;
          this.startDataset(i - 1);
          i = this.scanDataset(chunk, i);
        } else if (byte === COMMA) continue;
        else if (byte === CLOSE_ARRAY) this.outer = Outer.AfterArray;
        else throw new DatasetStreamError('not-datasets', `the JSON array holds something else than datasets (at byte ${at})`, at);
      } else {
        throw new DatasetStreamError('not-json', `the answer goes on after its JSON array (at byte ${at})`, at);
      }
    }
    this.bytesRead += n;
  }

  /** Throws `truncated` when the answer ended before the array closed. */
  end(): void {
    if (this.outer === Outer.AfterArray) return;
    const what = this.outer === Outer.BeforeArray ? 'before any JSON' : `inside dataset ${this.datasetsRead + 1}`;
    throw new DatasetStreamError(
      'truncated',
      `the answer ended after ${this.bytesRead} bytes ${what}, before the JSON array was closed (${this.datasetsRead} complete datasets)`,
      this.bytesRead,
    );
  }

  private startDataset(openAt: number): void {
    this.pieces = [];
    this.datasetBytes = 0;
    this.depth = 1;
    this.inString = false;
    this.escaped = false;
    this.stringIsKey = false;
    this.expectingKey = true;
    this.spans = [];
    this.current = { keyStart: -1, keyEnd: -1, valueStart: -1, valueEnd: -1 };
    // The piece starts at the brace so that offsets within the dataset count from it.
    this.pieceStart = openAt;
  }

  /** Where the current dataset's bytes start in the chunk being scanned. */
  private pieceStart = 0;

  /** Scans from `from` (just after the dataset's last byte read); returns where scanning stopped. */
  private scanDataset(chunk: Buffer, from: number): number {
    const n = chunk.length;
    // Offsets within the dataset: bytes of earlier pieces, then position in this chunk.
    const base = this.datasetBytes - this.pieceStart;
    let depth = this.depth;
    let inString = this.inString;
    let i = from;
    // A backslash that ended the previous chunk inside a string escapes this chunk's first byte.
    if (this.escaped) {
      this.escaped = false;
      i += 1;
    }
    for (; i < n; i++) {
      const kind = BYTE_KIND[chunk[i] as number] as number;
      if (kind === PLAIN) continue;
      if (inString) {
        if (kind === KIND_QUOTE) {
          inString = false;
          if (this.stringIsKey) {
            this.current.keyEnd = base + i;
            this.stringIsKey = false;
          }
        } else if (kind === KIND_BACKSLASH) {
          // The escaped byte is skipped (it may be a quote); at the chunk's end, in the next chunk.
          i += 1;
          if (i >= n) this.escaped = true;
        }
        continue;
      }
      if (kind === KIND_QUOTE) {
        inString = true;
        if (depth === 1 && this.expectingKey) {
          this.stringIsKey = true;
          this.expectingKey = false;
          this.current.keyStart = base + i + 1;
        }
      } else if (kind === KIND_OPEN) {
        depth += 1;
      } else if (kind === KIND_CLOSE) {
        depth -= 1;
        if (depth === 0) {
          this.closeElement(base + i);
          this.depth = 0;
          this.inString = false;
          this.addPiece(chunk, this.pieceStart, i + 1);
          this.finishDataset();
          this.outer = Outer.InArray;
          return i + 1;
        }
      } else if (depth === 1) {
        if (kind === KIND_COMMA) {
          this.closeElement(base + i);
          this.expectingKey = true;
        } else if (this.current.keyEnd !== -1 && this.current.valueStart === -1) {
          // The colon: the value is what follows it (JSON.parse skips the white space).
          this.current.valueStart = base + i + 1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.addPiece(chunk, this.pieceStart, n);
    this.pieceStart = 0;
    return n;
  }

  private addPiece(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.datasetBytes += end - start;
    if (this.datasetBytes > this.maxDatasetBytes) {
      throw new DatasetStreamError(
        'too-large',
        `dataset ${this.datasetsRead + 1} is larger than ${this.maxDatasetBytes} bytes, the most held for one instance`,
        this.bytesRead + end,
      );
    }
    this.pieces.push(chunk.subarray(start, end));
  }

  private closeElement(at: number): void {
    const span = this.current;
    if (span.keyEnd !== -1 && span.valueStart !== -1) {
      span.valueEnd = at;
      this.spans.push(span);
    }
    this.current = { keyStart: -1, keyEnd: -1, valueStart: -1, valueEnd: -1 };
  }

  private finishDataset(): void {
    const pieces = this.pieces;
    const bytes = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, this.datasetBytes);
    this.pieces = [];
    const dataset: Dataset = {};
    for (const span of this.spans) {
      if (span.keyEnd - span.keyStart !== 8) continue;
      const key = KNOWN.get(tagNumber(bytes, span.keyStart));
      if (key === undefined) continue;
      const raw = bytes.subarray(span.valueStart, span.valueEnd);
      const previous = this.last.get(key);
      if (previous !== undefined && previous.raw.equals(raw)) {
        dataset[key] = previous.element;
        continue;
      }
      const element = this.parseElement(key, raw);
      // A copy, so the chunk the bytes came from is not kept alive by them.
      this.last.set(key, { raw: Buffer.from(raw), element });
      dataset[key] = element;
    }
    this.spans = [];
    this.datasetsRead += 1;
    this.onDataset(dataset);
  }

  private parseElement(key: string, raw: Buffer): DicomElement {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      // The parser's own message would quote the value, which may be patient data.
      throw new DatasetStreamError('not-json', `element ${key} of dataset ${this.datasetsRead + 1} is not valid JSON`, this.bytesRead);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DatasetStreamError('not-datasets', `element ${key} of dataset ${this.datasetsRead + 1} is not a DICOM JSON element`, this.bytesRead);
    }
    return value as DicomElement;
  }
}
