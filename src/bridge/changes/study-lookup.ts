/**
 * Asks Orthanc which Study Instance UID each of a set of Orthanc study ids stands for, for the
 * change-feed follower: all of them in one `POST /tools/bulk-content` (`Level: Study`; Orthanc
 * 1.9.4 and later), or, when Orthanc has no such route, one `GET /studies/{id}` per study with a
 * bounded number at once.
 *
 * Measured against Orthanc 1.10.1: bulk-content answers studies in no particular order and leaves
 * out ids it does not know (no error), so a study missing from the answer was deleted meanwhile;
 * an unknown route answers 404.
 */
import type { AxiosInstance } from 'axios';
import { mapWithConcurrency } from '../../folder/pool.js';
import type { BridgeLogger } from '../sync/logger.js';
import { BulkStudiesSchema, OrthancStudySchema, type OrthancStudy } from './orthanc-changes.js';

/** What Orthanc said about one study id. */
export type StudyAnswer =
  /** The UID as Orthanc gives it, not validated yet (empty when Orthanc has none). */
  | { kind: 'found'; studyInstanceUid: string; seriesCount?: number }
  /** Orthanc no longer has the study. */
  | { kind: 'gone' }
  /** The lookup failed (or was not made because an earlier one in the same call failed). */
  | { kind: 'failed'; error: unknown };

export interface StudyLookup {
  /** An answer for every id given; never rejects (a failure is an answer). */
  resolve(orthancIds: readonly string[]): Promise<Map<string, StudyAnswer>>;
}

export interface StudyLookupOptions {
  http: AxiosInstance;
  /** `GET /studies/{id}` requests at once when Orthanc has no bulk route. */
  concurrency: number;
  logger: BridgeLogger;
}

/**
 * Statuses that mean "no bulk route here": 404 from an Orthanc older than 1.9.4, 405 or 501 from
 * a proxy that lets only GET through, 403 from an authorization plugin that refuses the POST while
 * allowing reads (a refusal of reads then shows on the GET).
 */
const BULK_UNSUPPORTED = new Set([403, 404, 405, 501]);

function foundAnswer(study: OrthancStudy): StudyAnswer {
  const uid = study.MainDicomTags.StudyInstanceUID ?? '';
  return study.Series === undefined ? { kind: 'found', studyInstanceUid: uid } : { kind: 'found', studyInstanceUid: uid, seriesCount: study.Series.length };
}

export function createStudyLookup(options: StudyLookupOptions): StudyLookup {
  const { http, concurrency, logger } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`lookup concurrency must be a positive integer, got ${concurrency}`);
  let bulkSupported = true;

  /** Undefined when Orthanc has no bulk route; throws on any other failure. */
  async function bulkContent(ids: readonly string[]): Promise<Map<string, StudyAnswer> | undefined> {
    const response = await http.post(
      '/tools/bulk-content',
      { Resources: ids, Level: 'Study' },
      { validateStatus: (status) => status === 200 || BULK_UNSUPPORTED.has(status) },
    );
    if (response.status !== 200) {
      logger.info({ status: response.status }, 'Orthanc answered POST /tools/bulk-content with an error status; looking studies up one at a time');
      return undefined;
    }
    const found = new Map(BulkStudiesSchema.parse(response.data).map((study) => [study.ID, foundAnswer(study)]));
    return new Map(ids.map((id): [string, StudyAnswer] => [id, found.get(id) ?? { kind: 'gone' }]));
  }

  async function studyAnswer(id: string): Promise<StudyAnswer> {
    const response = await http.get(`/studies/${id}`, { validateStatus: (status) => status === 200 || status === 404 });
    if (response.status === 404) return { kind: 'gone' };
    return foundAnswer(OrthancStudySchema.parse(response.data));
  }

  /** In the order given; after a failure no new request starts (the follower stops at the first failed id anyway). */
  async function oneByOne(ids: readonly string[]): Promise<Map<string, StudyAnswer>> {
    let firstFailure: StudyAnswer | undefined;
    const answers = await mapWithConcurrency(ids, concurrency, async (id): Promise<StudyAnswer> => {
      if (firstFailure !== undefined) return firstFailure;
      const answer = await studyAnswer(id).catch((error: unknown): StudyAnswer => ({ kind: 'failed', error }));
      if (answer.kind === 'failed') firstFailure ??= answer;
      return answer;
    });
    return new Map(ids.map((id, index) => [id, answers[index] as StudyAnswer]));
  }

  return {
    async resolve(orthancIds) {
      if (orthancIds.length === 0) return new Map();
      if (bulkSupported) {
        try {
          const answers = await bulkContent(orthancIds);
          if (answers !== undefined) return answers;
          bulkSupported = false;
        } catch (error) {
          // Handed to the follower, which stops at the first study it cannot place and reports the error.
          return new Map(orthancIds.map((id) => [id, { kind: 'failed', error }]));
        }
      }
      return oneByOne(orthancIds);
    },
  };
}
