/** Why a file of a folder did not become part of a study, with the words the CLI summary uses. */
import { SKIP_REASON_LABEL, type SkipReason } from '../dicom/part10/index.js';

/**
 * The reader's reasons plus two of the folder's own: a DICOMDIR (PS3.10 §8.6) indexes a file-set
 * and is no instance of it, and a dataset without Study Instance UID cannot be placed in any study.
 */
export type FolderSkipReason = SkipReason | 'dicomdir' | 'no-study-instance-uid';

export const FOLDER_SKIP_REASON_LABEL: Record<FolderSkipReason, string> = {
  ...SKIP_REASON_LABEL,
  dicomdir: 'DICOMDIR',
  'no-study-instance-uid': 'no Study Instance UID',
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
