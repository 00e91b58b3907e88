/**
 * Before a stored study is deleted because a listing missed it, the source is asked about that
 * study on its own (SPEC §4, Start-up): Orthanc's `POST /tools/lookup`, or, with no Orthanc REST
 * API, its WADO-RS metadata. Only a clear "no such study" confirms; an error throws, so the study
 * is kept and asked about again at the next reconciliation.
 */
import type { Dataset } from '../../dicom/dataset.js';
import type { OrthancRest } from './orthanc-rest.js';
import type { ConfirmAbsent } from './reconciler.js';

export interface ConfirmAbsentOptions {
  orthanc: Pick<OrthancRest, 'lookupStudy'>;
  /** WADO-RS study metadata; undefined when the source has no such study. */
  fetchStudy(studyInstanceUid: string): Promise<Dataset[] | undefined>;
}

export function createConfirmAbsent(options: ConfirmAbsentOptions): ConfirmAbsent {
  return async (uid) => {
    const found = await options.orthanc.lookupStudy(uid);
    if (found.kind !== 'no-orthanc') return found.kind === 'absent';
    const datasets = await options.fetchStudy(uid);
    return datasets === undefined || datasets.length === 0;
  };
}
