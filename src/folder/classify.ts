/** Decides whether a parsed file is an instance of a study or is skipped, and why. */
import { getString, type Dataset } from '../dicom/dataset.js';
import type { HeaderResult } from '../dicom/part10/index.js';
import { Tag, type TagKey } from '../dicom/tags.js';
import { isValidUid } from '../dicomweb/uid.js';
import type { FolderSkipReason, SkippedFile } from './skip.js';

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

/**
 * The three UIDs that place an instance in a study (PS3.3 C.7.2.1, C.7.3.1, C.12.1), each with
 * the reason a file gets when it lacks one.
 */
const PLACING_UIDS: ReadonlyArray<{ tag: TagKey; name: string; missing: FolderSkipReason }> = [
  { tag: Tag.StudyInstanceUID, name: 'Study Instance UID (0020,000D)', missing: 'no-study-instance-uid' },
  { tag: Tag.SeriesInstanceUID, name: 'Series Instance UID (0020,000E)', missing: 'no-series-instance-uid' },
  { tag: Tag.SOPInstanceUID, name: 'SOP Instance UID (0008,0018)', missing: 'no-sop-instance-uid' },
];

function skip(path: string, reason: FolderSkipReason, detail: string): Classified {
  return { kind: 'skipped', skipped: { path, reason, detail } };
}

/**
 * An instance, or the reason the file is in no study. A file lacking one of the placing UIDs, or
 * holding one that is not UID syntax (PS3.5 §9.1: a corrupted byte, say), is skipped with its
 * own reason rather than made a study, series or instance of its own. The invalid value is not
 * quoted: it may hold control bytes, and the attribute's name is what the user needs.
 */
export function classify(path: string, header: HeaderResult): Classified {
  if (!header.ok) return skip(path, header.reason, header.detail);
  const { dataset } = header;
  if (isDicomdir(dataset)) return skip(path, 'dicomdir', 'file-set directory, not an instance');
  for (const { tag, name, missing } of PLACING_UIDS) {
    const uid = getString(dataset, tag);
    if (uid === undefined) return skip(path, missing, `no ${name}`);
    if (!isValidUid(uid)) {
      return skip(path, 'invalid-uid', `${name} is not a UID (digits separated by dots, at most 64 characters; ${uid.length} characters)`);
    }
  }
  return { kind: 'instance', path, studyInstanceUid: getString(dataset, Tag.StudyInstanceUID) as string, dataset };
}
