/** Decides whether a parsed file is an instance of a study or is skipped, and why. */
import { getString, type Dataset } from '../dicom/dataset.js';
import type { HeaderResult } from '../dicom/part10/index.js';
import { Tag } from '../dicom/tags.js';
import type { SkippedFile } from './skip.js';

/** Media Storage Directory Storage SOP Class (PS3.4 Annex F, PS3.6 Annex A). */
export const MEDIA_STORAGE_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10';

export type Classified =
  | { kind: 'instance'; path: string; studyInstanceUid: string; dataset: Dataset }
  | { kind: 'skipped'; skipped: SkippedFile };

/**
 * A DICOMDIR is recognised by its Media Storage SOP Class (when the reader keeps file meta) or by
 * its Directory Record Sequence (0004,1220), which no composite instance carries (PS3.3 F.3).
 */
export function isDicomdir(dataset: Dataset): boolean {
  return (
    getString(dataset, Tag.MediaStorageSOPClassUID) === MEDIA_STORAGE_DIRECTORY_SOP_CLASS ||
    getString(dataset, Tag.SOPClassUID) === MEDIA_STORAGE_DIRECTORY_SOP_CLASS ||
    dataset[Tag.DirectoryRecordSequence] !== undefined
  );
}

export function classify(path: string, header: HeaderResult): Classified {
  if (!header.ok) return { kind: 'skipped', skipped: { path, reason: header.reason, detail: header.detail } };
  const { dataset } = header;
  if (isDicomdir(dataset)) {
    return { kind: 'skipped', skipped: { path, reason: 'dicomdir', detail: 'file-set directory, not an instance' } };
  }
  const studyInstanceUid = getString(dataset, Tag.StudyInstanceUID);
  if (studyInstanceUid === undefined) {
    return { kind: 'skipped', skipped: { path, reason: 'no-study-instance-uid', detail: 'no Study Instance UID (0020,000D)' } };
  }
  return { kind: 'instance', path, studyInstanceUid, dataset };
}
