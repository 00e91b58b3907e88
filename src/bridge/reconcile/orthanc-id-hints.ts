/**
 * What the change feed learnt of the studies it just queued, by Study Instance UID: the Orthanc
 * id (the feed looked it up already, so the stability gate asks `GET /studies/{id}` at once
 * instead of `POST /tools/lookup` first) and, when the feed's lookup said, the number of series
 * (one series: the sync reads the study's metadata in one request, without listing its series
 * over QIDO-RS first). Each saves one Orthanc request per synced study during a catch-up; neither
 * decides what is stored: the gate still asks IsStable after the fetch, and a study read in one
 * request has all its series whatever their number. Bounded: the oldest hints go first; a study
 * without a hint is read and looked up as before.
 */
export interface OrthancStudyHint {
  orthancId: string;
  seriesCount?: number;
}

export interface OrthancIdHints {
  remember(studyInstanceUid: string, hint: OrthancStudyHint): void;
  get(studyInstanceUid: string): OrthancStudyHint | undefined;
  forget(studyInstanceUid: string): void;
}

export const DEFAULT_MAX_HINTS = 10_000;

export function createOrthancIdHints(maxHints = DEFAULT_MAX_HINTS): OrthancIdHints {
  if (!Number.isInteger(maxHints) || maxHints < 1) throw new RangeError(`maxHints must be a positive integer, got ${maxHints}`);
  // A Map iterates in insertion order: its first key is the oldest hint.
  const hints = new Map<string, OrthancStudyHint>();
  return {
    remember(uid, hint) {
      hints.delete(uid);
      hints.set(uid, hint);
      while (hints.size > maxHints) hints.delete(hints.keys().next().value as string);
    },
    get: (uid) => hints.get(uid),
    forget(uid) {
      hints.delete(uid);
    },
  };
}
