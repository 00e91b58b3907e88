/** Orthanc's answers that a real Orthanc 1.10 gives only in faults or in other set-ups; the normal path runs against a real Orthanc in test/bridge/reconcile.int.test.ts. */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import { createOrthancStudyListing, createStudyListing } from './study-listing.js';

const ORTHANC = 'http://orthanc.test:8042';
const study = (uid?: string) => ({ ID: 'x', Type: 'Study', MainDicomTags: uid === undefined ? {} : { StudyInstanceUID: uid } });

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('Orthanc study listing', () => {
  it('reads /tools/find page by page until an empty page, with the date range, skipping studies without a valid UID', async () => {
    const query = (since: number) => ({ Level: 'Study', Query: { StudyDate: '20240101-' }, Expand: true, Since: since, Limit: 2 });
    nock(ORTHANC).post('/tools/find', query(0)).reply(200, [study('1.2.1'), study('1.2.2')]);
    // A short page is not the end: Orthanc may cap pages below the Limit asked.
    nock(ORTHANC).post('/tools/find', query(2)).reply(200, [study('1.2.3')]);
    nock(ORTHANC).post('/tools/find', query(3)).reply(200, [study(), study('not a uid')]);
    nock(ORTHANC).post('/tools/find', query(5)).reply(200, []);
    const listing = createOrthancStudyListing({ orthancUrl: ORTHANC, pageSize: 2 });
    expect(await listing({ studyDate: '20240101-' })).toEqual({ kind: 'listed', studyInstanceUids: ['1.2.1', '1.2.2', '1.2.3'] });
    expect(nock.isDone()).toBe(true);
  });

  it('says there is no Orthanc when the route is missing, refused, or answers no list of studies', async () => {
    const listing = createOrthancStudyListing({ orthancUrl: ORTHANC });
    for (const [status, body] of [[404, 'Not Found'], [405, ''], [403, 'forbidden'], [200, { not: 'a list' }]] as const) {
      nock(ORTHANC).post('/tools/find').reply(status, body);
      expect(await listing({})).toMatchObject({ kind: 'no-orthanc' });
    }
  });

  it('says there is no Orthanc when nothing listens at ORTHANC_URL', async () => {
    nock(ORTHANC).post('/tools/find').replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await createOrthancStudyListing({ orthancUrl: ORTHANC })({})).toMatchObject({ kind: 'no-orthanc', reason: expect.stringContaining('ECONNREFUSED') });
  });

  it('fails the whole listing when Orthanc fails on a later page, so that nothing is deleted from a partial list', async () => {
    nock(ORTHANC).post('/tools/find').reply(200, [study('1.2.1')]);
    nock(ORTHANC).post('/tools/find').reply(500, 'Internal error');
    await expect(createOrthancStudyListing({ orthancUrl: ORTHANC, pageSize: 1 })({})).rejects.toThrow('Orthanc POST /tools/find answered HTTP 500');
  });
});

describe('study listing for reconciliation', () => {
  it('uses Orthanc’s listing where it answers, QIDO-RS where it does not, asking Orthanc again at each run and saying so once', async () => {
    const logger = memoryLogger();
    const answers = [
      { kind: 'listed' as const, studyInstanceUids: ['1.1'] },
      { kind: 'no-orthanc' as const, reason: 'HTTP 404' },
      { kind: 'no-orthanc' as const, reason: 'HTTP 404' },
      { kind: 'listed' as const, studyInstanceUids: ['1.3'] },
    ];
    const qidoQueries: unknown[] = [];
    const listing = createStudyListing({
      orthanc: async () => answers.shift() ?? { kind: 'no-orthanc', reason: 'none left' },
      qido: async (query) => (qidoQueries.push(query), ['1.2']),
      logger,
    });
    expect(await listing({})).toEqual(['1.1']);
    expect(await listing({ studyDate: '20240101-' })).toEqual(['1.2']);
    expect(await listing({})).toEqual(['1.2']);
    expect(await listing({})).toEqual(['1.3']);
    expect(qidoQueries).toEqual([{ studyDate: '20240101-' }, {}]);
    expect(logger.lines.filter((line) => line.includes('listing them over QIDO-RS'))).toHaveLength(1);
  });

  it('fails when Orthanc answers but fails, without listing over QIDO-RS instead', async () => {
    let qido = 0;
    const listing = createStudyListing({
      orthanc: async () => {
        throw new Error('Orthanc POST /tools/find answered HTTP 500');
      },
      qido: async () => (qido++, []),
      logger: memoryLogger(),
    });
    await expect(listing({})).rejects.toThrow('HTTP 500');
    expect(qido).toBe(0);
  });
});
