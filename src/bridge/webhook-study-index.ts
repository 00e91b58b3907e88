/**
 * Where the stable-study webhook's Orthanc id of a study goes: into the store's map (a later
 * deletion webhook names the study by that id only) and to the stability gate as its hint, as the
 * change feed does — the gate then asks `IsStable` of that id at once, without a
 * `POST /tools/lookup` first, one Orthanc request fewer per study the webhook announces.
 */
import type { OrthancStudyIndex } from '../server/index.js';
import type { OrthancIdHints } from './reconcile/index.js';
import type { BridgeStore } from './store/index.js';

export function createWebhookStudyIndex(
  store: Pick<BridgeStore, 'mapOrthancStudyId' | 'studyUidForOrthancId'>,
  hints: Pick<OrthancIdHints, 'remember'>,
): OrthancStudyIndex {
  return {
    remember(orthancId, studyInstanceUid) {
      store.mapOrthancStudyId(orthancId, studyInstanceUid);
      hints.remember(studyInstanceUid, { orthancId });
    },
    lookup: (orthancId) => store.studyUidForOrthancId(orthancId),
  };
}
