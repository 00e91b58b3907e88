/**
 * Faults of Orthanc's change log that a real Orthanc 1.10 cannot be made to produce on demand
 * (a failing study lookup in the middle of a page, `Deleted` entries, a log reset behind the
 * cursor); the normal path runs against a real Orthanc in change-feed.int.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../test/bridge/core/fakes.js';
import { openStudyStore, type BridgeStore } from '../store/index.js';
import { createChangeFeedFollower } from './follower.js';

const ORTHANC = 'http://orthanc.test:8042';
const ID_A = 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa';
const ID_B = 'bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb';
const ID_C = 'cccccccc-cccccccc-cccccccc-cccccccc-cccccccc';

function change(seq: number, changeType: string, id: string, resourceType = 'Study'): object {
  return { ChangeType: changeType, ID: id, Path: `/studies/${id}`, ResourceType: resourceType, Seq: seq, Date: '20240101T000000' };
}

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

function follower() {
  return createChangeFeedFollower({ orthancUrl: ORTHANC, store, sync, intervalMs: 10, pageSize: 3, logger: memoryLogger() });
}

describe('change feed faults', () => {
  it('keeps the cursor at the last handled change when a study lookup fails, and resumes there', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'NewStudy', ID_A), change(2, 'StableStudy', ID_A), change(3, 'StableStudy', ID_B)], Done: true, Last: 3 })
      .get(`/studies/${ID_A}`)
      .reply(200, { ID: ID_A, MainDicomTags: { StudyInstanceUID: '1.2.1' } })
      .get(`/studies/${ID_B}`)
      .reply(500, { Message: 'database locked' });
    await expect(follower().pollOnce()).rejects.toThrow(/500/);
    expect(store.getCursor('orthanc-changes')).toBe(2);
    expect(calls).toEqual(['enqueue 1.2.1 changes']);

    nock(ORTHANC)
      .get('/changes')
      .query({ since: '2', limit: '3' })
      .reply(200, { Changes: [change(3, 'StableStudy', ID_B)], Done: true, Last: 3 })
      .get(`/studies/${ID_B}`)
      .reply(200, { ID: ID_B, MainDicomTags: { StudyInstanceUID: '1.2.2' } });
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ changes: 1, stableStudies: 1, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 changes', 'enqueue 1.2.2 changes']);
    expect(store.studyUidForOrthancId(ID_B)).toBe('1.2.2');
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
      .get(`/studies/${ID_C}`)
      .reply(404, { Message: 'Unknown resource' });
    store.setCursor('orthanc-changes', 10);
    const summary = await follower().pollOnce();
    expect(summary).toEqual({ pages: 2, changes: 4, stableStudies: 0, deletedStudies: 1, skipped: 2, cursor: 14 });
    expect(calls).toEqual(['delete 1.2.1']);
    expect(store.getCursor('orthanc-changes')).toBe(14);
  });

  it('queues the stable studies of a page together, before a deletion that follows them in the log', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', ID_B), change(3, 'Deleted', ID_A)], Done: true, Last: 3 })
      .get(`/studies/${ID_A}`)
      .reply(200, { ID: ID_A, MainDicomTags: { StudyInstanceUID: '1.2.1' } })
      .get(`/studies/${ID_B}`)
      .reply(200, { ID: ID_B, MainDicomTags: { StudyInstanceUID: '1.2.2' } });
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 2, deletedStudies: 1, cursor: 3 });
    expect(calls).toEqual(['enqueue 1.2.1 1.2.2 changes', 'delete 1.2.1']);
  });

  it('skips a study whose UID is malformed without putting it in any URL', async () => {
    nock(ORTHANC)
      .get('/changes')
      .query({ since: '0', limit: '3' })
      .reply(200, { Changes: [change(1, 'StableStudy', ID_A), change(2, 'StableStudy', '../../instances')], Done: true, Last: 2 })
      .get(`/studies/${ID_A}`)
      .reply(200, { ID: ID_A, MainDicomTags: { StudyInstanceUID: '1.2.3/../../x' } });
    const summary = await follower().pollOnce();
    expect(summary).toMatchObject({ stableStudies: 0, skipped: 2, cursor: 2 });
    expect(calls).toEqual([]);
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
      .get(`/studies/${ID_A}`)
      .reply(200, { ID: ID_A, MainDicomTags: { StudyInstanceUID: '1.2.1' } });
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
});
