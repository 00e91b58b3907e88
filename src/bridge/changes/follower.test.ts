/**
 * Faults of Orthanc's change log that a real Orthanc 1.10 cannot be made to produce on demand
 * (a failing study lookup in the middle of a page, an Orthanc without `POST /tools/bulk-content`,
 * `Deleted` entries, a log reset behind the cursor); the normal path runs against a real Orthanc
 * in change-feed.int.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/support/fakes.js';
import { openStudyStore, StoreError, type BridgeStore } from '../store/index.js';
import { createChangeFeedFollower } from './follower.js';

const ORTHANC = 'http://orthanc.test:8042';
const ID_A = 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa';
const ID_B = 'bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb';
const ID_C = 'cccccccc-cccccccc-cccccccc-cccccccc-cccccccc';
const ID_D = 'dddddddd-dddddddd-dddddddd-dddddddd-dddddddd';
const ID_E = 'eeeeeeee-eeeeeeee-eeeeeeee-eeeeeeee-eeeeeeee';

function change(seq: number, changeType: string, id: string, resourceType = 'Study'): object {
  return { ChangeType: changeType, ID: id, Path: `/studies/${id}`, ResourceType: resourceType, Seq: seq, Date: '20240101T000000' };
}

/** A study as `GET /studies/{id}` and `POST /tools/bulk-content` describe it. */
function study(id: string, uid: string): object {
  return { ID: id, Type: 'Study', MainDicomTags: { StudyInstanceUID: uid } };
}

const bulkBody = (...ids: string[]) => ({ Resources: ids, Level: 'Study' });

let dir: string;
let store: BridgeStore;
let calls: string[];
const sync = {
  enqueueMany: (uids: readonly string[], reason: string) => void calls.push(`enqueue ${uids.join(' ')} ${reason}`),
  deleteStudy: (uid: string) => calls.push(`delete ${uid}`) > 0,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-changes-'));
  store = openStudyStore(dir);
  calls = [];
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function follower(lookupConcurrency?: number) {
  return createChangeFeedFollower({
    orthancUrl: ORTHANC,
    store,
    sync,
    intervalMs: 10,
    pageSize: 3,
    logger: memoryLogger(),
    ...(lookupConcurrency === undefined ? {} : { lookupConcurrency }),
  });
}

/** One page of the log with stable studies A, B and C, from an Orthanc that has no bulk-content. */
function threeStableStudiesWithoutBulkContent(): nock.Scope {
  return nock(ORTHANC)
    .get('/changes')
    .query({ since: '0', limit: '3' })
    .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B), change(3, 'StableStudy', ID_C)], Done: true, Last: 3 })
    .post('/tools/bulk-content')
    .reply(404, { Message: 'Unknown resource' });
}

describe('change feed faults', () => {
  it('keeps the cursor before the first study a failed bulk lookup left unplaced, acting on what comes before it, and resumes there', async () => {
    store.mapOrthancStudyId(ID_A, '1.2.1');
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'Deleted', ID_A), change(3, 'StableStudy', ID_B)], Done: true, Last: 3 })
      .post('/tools/bulk-content', bulkBody(ID_B))
      .reply(500, { Message: 'database locked' });
    await expect(follower().pollOnce()).rejects.toThrow(/500/);
    expect(store.getCursor('orthanc-changes')).toBe(2);
    expect(calls).toEqual(['enqueue 1.2.1 changes', 'delete 1.2.1']);
    expect(store.studyUidForOrthancId(ID_B)).toBeUndefined();

    nock(ORTHANC)
      .get('/changes')
      .query({ since: '2', limit: '3' })
      .reply(200, { Changes: [change(3, 'StableStudy', ID_B)], Done: true, Last: 3 })
      .post('/tools/bulk-content', bulkBody(ID_B))
      .reply(200, [study(ID_B, '1.2.2')]);
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ changes: 1, stableStudies: 1, lookedUp: 1, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 changes', 'delete 1.2.1', 'enqueue 1.2.2 changes']);
    expect(store.studyUidForOrthancId(ID_B)).toBe('1.2.2');
  });

  it('places all unknown studies of a page with one bulk request, in log order, and maps their ids', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B), change(3, 'StableStudy', ID_A)], Done: true, Last: 3 })
      // Orthanc answers in its own order.
      .post('/tools/bulk-content', bulkBody(ID_A, ID_B))
      .reply(200, [study(ID_B, '1.2.2'), study(ID_A, '1.2.1')]);
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ changes: 3, stableStudies: 3, lookedUp: 2, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 1.2.1 changes']);
    expect(store.studyUidForOrthancId(ID_A)).toBe('1.2.1');
    expect(store.studyUidForOrthancId(ID_B)).toBe('1.2.2');
  });

  it('asks Orthanc nothing about studies it has mapped already, and still queues them (they may have changed)', async () => {
    store.mapOrthancStudyId(ID_A, '1.2.1');
    store.mapOrthancStudyId(ID_B, '1.2.2');
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B)], Done: true, Last: 2 });
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 2, lookedUp: 0, cursor: 2 });
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 changes']);
  });

  it('tells the Orthanc id of each stable study it queues (and its series count when looked up), not of a study Orthanc no longer has', async () => {
    store.mapOrthancStudyId(ID_A, '1.2.1');
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B), change(3, 'StableStudy', ID_C)], Done: true, Last: 3 })
      .post('/tools/bulk-content', bulkBody(ID_B, ID_C))
      .reply(200, [{ ...study(ID_B, '1.2.2'), Series: [ID_D, ID_E] }]);
    const told: string[] = [];
    const summary = await createChangeFeedFollower({
      orthancUrl: ORTHANC,
      store,
      sync,
      intervalMs: 10,
      pageSize: 3,
      logger: memoryLogger(),
      onStableStudy: (uid, orthancId, seriesCount) => told.push(`${uid} ${orthancId} ${seriesCount}`),
    }).pollOnce();
    expect(summary).toMatchObject({ stableStudies: 2, skipped: 1, cursor: 3 });
    // The mapped study was not looked up: its number of series is not known.
    expect(told).toEqual([`1.2.1 ${ID_A} undefined`, `1.2.2 ${ID_B} 2`]);
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 changes']);
  });

  it('looks studies up one by one when Orthanc has no bulk-content, stopping the cursor at a failed lookup', async () => {
    const feed = follower();
    threeStableStudiesWithoutBulkContent()
      .get(`/studies/${ID_A}`)
      .reply(200, study(ID_A, '1.2.1'))
      .get(`/studies/${ID_B}`)
      .reply(500, { Message: 'database locked' })
      .get(`/studies/${ID_C}`)
      .reply(200, study(ID_C, '1.2.3'));
    await expect(feed.pollOnce()).rejects.toThrow(/500/);
    expect(store.getCursor('orthanc-changes')).toBe(1);
    expect(calls).toEqual(['enqueue 1.2.1 changes']);
    expect(store.studyUidForOrthancId(ID_A)).toBe('1.2.1');

    // The same follower does not ask for bulk-content again; C was placed already.
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '1', limit: '3' })
      .reply(200, { Changes: [change(2, 'StableStudy', ID_B), change(3, 'StableStudy', ID_C)], Done: true, Last: 3 })
      .get(`/studies/${ID_B}`)
      .reply(200, study(ID_B, '1.2.2'));
    const summary = await feed.pollOnce();
    expect(summary).toMatchObject({ stableStudies: 2, lookedUp: 1, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 changes', 'enqueue 1.2.2 1.2.3 changes']);
    expect(nock.isDone()).toBe(true);
  });

  it('keeps at most lookupConcurrency study lookups in flight, and skips a study deleted meanwhile', async () => {
    let inFlight = 0;
    let most = 0;
    const answer = (id: string, uid: string | undefined) => async (): Promise<[number, object]> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return uid === undefined ? [404, { Message: 'Unknown resource' }] : [200, study(id, uid)];
    };
    const ids = [ID_A, ID_B, ID_C, ID_D, ID_E];
    const scope = nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: ids.map((id, i) => change(i + 1, 'StableStudy', id)), Done: true, Last: 5 })
      .post('/tools/bulk-content')
      .reply(405);
    ids.forEach((id, i) => scope.get(`/studies/${id}`).reply(answer(id, i === 2 ? undefined : `1.2.${i + 1}`)));
    const summary = await follower(2).pollOnce();
    expect(most).toBe(2);
    expect(summary).toMatchObject({ changes: 5, stableStudies: 4, lookedUp: 5, skipped: 1, cursor: 5 });
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 1.2.4 1.2.5 changes']);
  });

  it('starts no further study lookup once one has failed', async () => {
    const scope = threeStableStudiesWithoutBulkContent()
      .get(`/studies/${ID_A}`)
      .reply(500, { Message: 'database locked' })
      .get(`/studies/${ID_B}`)
      .reply(200, study(ID_B, '1.2.2'))
      .get(`/studies/${ID_C}`)
      .reply(200, study(ID_C, '1.2.3'));
    await expect(follower(1).pollOnce()).rejects.toThrow(/500/);
    expect(scope.pendingMocks()).toEqual([`GET ${ORTHANC}/studies/${ID_B}`, `GET ${ORTHANC}/studies/${ID_C}`]);
    expect([store.getCursor('orthanc-changes') ?? 0, calls]).toEqual([0, []]);
  });

  it('refuses a lookup concurrency that is not a positive integer', () => {
    expect(() => follower(0)).toThrow(/concurrency/);
  });

  it('reads every page until Done and deletes studies it has seen, skipping unknown ones', async () => {
    store.mapOrthancStudyId(ID_A, '1.2.1');
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '10', limit: '3' })
      .reply(200, { Changes: [change(11, 'NewInstance', ID_C, 'Instance'), change(12, 'Deleted', ID_A), change(13, 'Deleted', ID_B)], Done: false, Last: 13 })
      .get('/changes')
      .query({ since: '13', limit: '3' })
      .reply(200, { Changes: [change(14, 'StableStudy', ID_C)], Done: true, Last: 14 })
      .post('/tools/bulk-content', bulkBody(ID_C))
      .reply(200, []);
    store.setCursor('orthanc-changes', 10);
    const summary = await follower().pollOnce();
    expect(summary).toEqual({ pages: 2, changes: 4, stableStudies: 0, lookedUp: 1, deletedStudies: 1, skipped: 2, cursor: 14 });
    expect(calls).toEqual(['delete 1.2.1']);
    expect(store.getCursor('orthanc-changes')).toBe(14);
  });

  it('queues the stable studies of a page together, before a deletion that follows them in the log', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B), change(3, 'Deleted', ID_A)], Done: true, Last: 3 })
      .post('/tools/bulk-content', bulkBody(ID_A, ID_B))
      .reply(200, [study(ID_A, '1.2.1'), study(ID_B, '1.2.2')]);
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 2, deletedStudies: 1, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 changes', 'delete 1.2.1']);
  });

  it('skips a study whose UID is malformed without putting it in any URL', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', '../../instances')], Done: true, Last: 2 })
      .post('/tools/bulk-content', bulkBody(ID_A))
      .reply(200, [study(ID_A, '1.2.3/../../x')]);
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 0, skipped: 2, cursor: 2 });
    expect(calls).toEqual([]);
    expect(store.studyUidForOrthancId(ID_A)).toBeUndefined();
  });

  it('reads the log from the start when Orthanc’s log is behind the stored cursor', async () => {
    store.setCursor('orthanc-changes', 500);
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '500', limit: '3' })
      .reply(200, { Changes: [], Done: true, Last: 2 })
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(2, 'StableStudy', ID_A)], Done: true, Last: 2 })
      .post('/tools/bulk-content', bulkBody(ID_A))
      .reply(200, [study(ID_A, '1.2.1')]);
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 1, cursor: 2 });
    expect(store.getCursor('orthanc-changes')).toBe(2);
  });

  it('rejects an answer that is not a change log page and keeps the cursor', async () => {
    store.setCursor('orthanc-changes', 7);
    nock(ORTHANC).get('/changes').query(true).reply(200, '<html>proxy error</html>');
    await expect(follower().pollOnce()).rejects.toThrow();
    expect(store.getCursor('orthanc-changes')).toBe(7);
  });

  it('says when its first poll after start has ended, whether it read the log or failed, and at stop', async () => {
    const states: string[] = [];
    nock(ORTHANC).get('/changes').query({ since: '0', limit: '3' }).reply(500, { Message: 'database locked' });
    const failing = follower();
    void failing.firstPoll().then(() => states.push('first poll ended'));
    await new Promise((r) => setTimeout(r, 20));
    expect(states).toEqual([]);
    failing.start();
    await failing.firstPoll();
    expect(failing.status().consecutiveErrors).toBe(1);
    await failing.stop();

    const neverStarted = follower();
    await neverStarted.stop();
    await neverStarted.firstPoll();
    expect(states).toEqual(['first poll ended']);
  });

  it('writes a page’s mapped ids, queued studies and cursor in one transaction', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B)], Done: true, Last: 2 })
      .post('/tools/bulk-content', bulkBody(ID_A, ID_B))
      .reply(200, [study(ID_A, '1.2.1'), study(ID_B, '1.2.2')]);
    let depth = 0;
    const writes: string[] = [];
    const spied: BridgeStore = {
      ...store,
      inTransaction: (work) => {
        depth += 1;
        try {
          return store.inTransaction(work);
        } finally {
          depth -= 1;
        }
      },
      mapOrthancStudyIds: (pairs) => (writes.push(`map ${pairs.length} in transaction=${depth > 0}`), store.mapOrthancStudyIds(pairs)),
      setCursor: (name, value) => (writes.push(`cursor ${value} in transaction=${depth > 0}`), store.setCursor(name, value)),
    };
    const queued = { enqueueMany: (uids: readonly string[]) => void writes.push(`queue ${uids.join(' ')} in transaction=${depth > 0}`), deleteStudy: () => true };
    await createChangeFeedFollower({ orthancUrl: ORTHANC, store: spied, sync: queued, pageSize: 3, logger: memoryLogger() }).pollOnce();
    expect(writes).toEqual(['map 2 in transaction=true', 'queue 1.2.1 1.2.2 in transaction=true', 'cursor 2 in transaction=true']);
    expect(store.getCursor('orthanc-changes')).toBe(2);
  });

  it('keeps nothing of a page whose writes met a store fault, and reads it again at the next poll', async () => {
    const page = { Changes: [change(1, 'StableStudy', ID_A), change(2, 'Deleted', ID_C)], Done: true, Last: 2 };
    store.mapOrthancStudyId(ID_C, '1.2.9');
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .twice()
      .reply(200, page)
      .post('/tools/bulk-content', bulkBody(ID_A))
      .twice()
      .reply(200, [study(ID_A, '1.2.1')]);
    let full = true;
    const failing = {
      enqueueMany: (uids: readonly string[]) => void calls.push(`enqueue ${uids.join(' ')}`),
      deleteStudy: (uid: string) => {
        if (full) throw new StoreError('store-full', 'database or disk is full');
        return calls.push(`delete ${uid}`) > 0;
      },
    };
    const feed = createChangeFeedFollower({ orthancUrl: ORTHANC, store, sync: failing, pageSize: 3, logger: memoryLogger() });
    await expect(feed.pollOnce()).rejects.toThrow('database or disk is full');
    expect(store.getCursor('orthanc-changes')).toBeUndefined();
    expect(store.studyUidForOrthancId(ID_A)).toBeUndefined();
    full = false;
    expect(await feed.pollOnce()).toMatchObject({ stableStudies: 1, deletedStudies: 1, cursor: 2 });
    expect(store.studyUidForOrthancId(ID_A)).toBe('1.2.1');
    expect(calls).toEqual(['enqueue 1.2.1', 'enqueue 1.2.1', 'delete 1.2.9']);
  });
});
