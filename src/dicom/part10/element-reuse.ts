/**
 * Values a reader decoded from the files it read before, handed out again for a file that holds
 * the same bytes: the files of a series repeat most of their header (patient, study, series,
 * equipment), so a reader going through a folder decodes each repeated value once.
 */
import type { DicomElement } from '../dataset.js';
import type { TextDecodeFn } from './charset.js';
import type { Source } from './values.js';

/** Longer values are not kept: remembering them would cost a copy per file for a rare match. */
export const MAX_REUSED_VALUE_BYTES = 1024;

interface Remembered {
  readonly vr: string;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  readonly text: TextDecodeFn;
  readonly bytes: Buffer;
  readonly element: DicomElement;
}

/**
 * Below this length a loop compares faster than `Buffer.compare`, whose range checks cost more
 * than most values (UIDs, codes, dates) take to compare byte by byte.
 */
const LOOP_COMPARE_BYTES = 64;

function sameBytes(kept: Buffer, bytes: Buffer, start: number, length: number): boolean {
  if (length > LOOP_COMPARE_BYTES) return bytes.compare(kept, 0, length, start, start + length) === 0;
  for (let i = 0; i < length; i++) {
    if (kept[i] !== bytes[start + i]) return false;
  }
  return true;
}

/**
 * The last decoded value of each top-level element that is not a sequence (whose items count
 * against the parse's item bound). A value is handed out again only when
 * everything its decoding depended on is the same: its bytes, VR, whether the VR was explicit,
 * byte order and the text decoder (the Specific Character Set in force; a file in another
 * character set decodes afresh). The element is shared between datasets, so their readers must
 * not change it, as no reader of a parsed dataset does.
 */
export class ElementReuse {
  private readonly byTag = new Map<number, Remembered>();

  find(tag: number, vr: string, explicitVr: boolean, text: TextDecodeFn, src: Source, start: number, end: number): DicomElement | undefined {
    const last = this.byTag.get(tag);
    if (last === undefined || last.vr !== vr || last.explicitVr !== explicitVr || last.littleEndian !== src.littleEndian || last.text !== text) {
      return undefined;
    }
    const length = end - start;
    if (last.bytes.length !== length) return undefined;
    return sameBytes(last.bytes, src.bytes, start, length) ? last.element : undefined;
  }

  remember(tag: number, vr: string, explicitVr: boolean, text: TextDecodeFn, src: Source, start: number, end: number, element: DicomElement): void {
    if (end - start > MAX_REUSED_VALUE_BYTES) {
      this.byTag.delete(tag);
      return;
    }
    const bytes = Buffer.from(src.bytes.subarray(start, end));
    this.byTag.set(tag, { vr, explicitVr, littleEndian: src.littleEndian, text, bytes, element });
  }
}
