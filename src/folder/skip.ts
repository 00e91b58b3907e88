/** Why a file of a folder did not become part of a study, with the words the CLI summary uses. */
import { SKIP_REASON_LABEL, type SkipReason } from '../dicom/part10/index.js';

/**
 * The reader's reasons plus the folder's own: a DICOMDIR (PS3.10 §8.6) indexes a file-set and is
 * no instance of it, and a dataset without a Study, Series or SOP Instance UID, or with one that
 * is not UID syntax, cannot be placed in any study.
 */
export type FolderSkipReason =
  | SkipReason
  | 'dicomdir'
  | 'no-study-instance-uid'
  | 'no-series-instance-uid'
  | 'no-sop-instance-uid'
  | 'invalid-uid';

export const FOLDER_SKIP_REASON_LABEL: Record<FolderSkipReason, string> = {
  ...SKIP_REASON_LABEL,
  dicomdir: 'DICOMDIR',
  'no-study-instance-uid': 'no Study Instance UID',
  'no-series-instance-uid': 'no Series Instance UID',
  'no-sop-instance-uid': 'no SOP Instance UID',
  'invalid-uid': 'invalid UID',
};

export interface SkippedFile {
  path: string;
  reason: FolderSkipReason;
  detail: string;
}

/** Counts per reason, in a fixed order (largest first, then by label) so summaries are stable. */
export function countSkipReasons(skipped: readonly SkippedFile[]): Array<{ reason: FolderSkipReason; label: string; count: number }> {
  const counts = new Map<FolderSkipReason, number>();
  for (const file of skipped) counts.set(file.reason, (counts.get(file.reason) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => ({ reason, label: FOLDER_SKIP_REASON_LABEL[reason], count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
