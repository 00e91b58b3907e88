/** DICOM Part 10 header reader: one file → one dataset in the DICOM JSON model, or a skip reason. */
import { parseHeaderBytes, type ParseOptions } from './header.js';
import type { HeaderResult } from './result.js';

export { readDicomHeader, readDicomHeaderSync } from './read.js';
export { SKIP_REASON_LABEL, type HeaderResult, type SkipReason } from './result.js';

/**
 * Parses bytes that hold at least the whole header and stops at Pixel Data (7FE0,0010). Pure
 * and total: never throws. `fileSize` (from `fs.stat`) lets it see that Pixel Data is cut short.
 */
export function parsePart10Header(bytes: Uint8Array, options?: ParseOptions): HeaderResult {
  const { needsMoreBytes: _ignored, ...result } = parseHeaderBytes(bytes, options);
  return result as HeaderResult;
}
