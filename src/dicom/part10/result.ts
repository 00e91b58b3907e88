/** Outcome of reading one Part 10 file: a dataset, or the reason the file is skipped. */
import type { Dataset } from '../dataset.js';

/**
 * Why a file yields no dataset. The folder layer counts files per reason and prints the
 * labels in its summary, so every skipped file is accounted for (SPEC §3).
 */
export type SkipReason = 'not-dicom' | 'truncated' | 'unsupported-transfer-syntax' | 'malformed' | 'too-large' | 'unreadable';

export type HeaderResult =
  | { ok: true; dataset: Dataset; transferSyntaxUid: string }
  | { ok: false; reason: SkipReason; detail: string };

/** Human-readable labels for summaries ("3 files skipped: 2 not DICOM, 1 truncated"). */
export const SKIP_REASON_LABEL: Record<SkipReason, string> = {
  'not-dicom': 'not DICOM',
  truncated: 'truncated',
  'unsupported-transfer-syntax': 'unsupported transfer syntax',
  malformed: 'malformed',
  'too-large': 'too large',
  unreadable: 'unreadable',
};

/** Raised inside the parser and turned into a `HeaderResult` at its public boundary. */
export class HeaderParseError extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
  ) {
    super(message);
    this.name = 'HeaderParseError';
  }
}
