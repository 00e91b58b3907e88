/** Groups a folder's instances by Study Instance UID, in a stable order. */
import type { Dataset } from '../dicom/dataset.js';
import { compareCodeUnits } from './walk.js';

export interface FolderInstance {
  path: string;
  studyInstanceUid: string;
  dataset: Dataset;
}

export interface StudyGroup {
  studyInstanceUid: string;
  /** Absolute paths, in code-unit order. */
  files: string[];
  datasets: Dataset[];
}

/**
 * Studies come out ordered by UID and files by path, whatever order the reads finished in, so
 * the same folder always gives the same output (SPEC §3).
 */
export function groupByStudy(instances: readonly FolderInstance[]): StudyGroup[] {
  const sorted = [...instances].sort((a, b) => compareCodeUnits(a.path, b.path));
  const groups = new Map<string, StudyGroup>();
  for (const instance of sorted) {
    let group = groups.get(instance.studyInstanceUid);
    if (group === undefined) {
      group = { studyInstanceUid: instance.studyInstanceUid, files: [], datasets: [] };
      groups.set(instance.studyInstanceUid, group);
    }
    group.files.push(instance.path);
    group.datasets.push(instance.dataset);
  }
  return [...groups.values()].sort((a, b) => compareCodeUnits(a.studyInstanceUid, b.studyInstanceUid));
}

/** `1.2.3 (12 files), 1.2.4 (3 files)`: what the user needs to find each study's files. */
export function describeStudies(groups: readonly StudyGroup[]): string {
  return groups.map((g) => `${g.studyInstanceUid} (${g.files.length} ${g.files.length === 1 ? 'file' : 'files'})`).join(', ');
}
