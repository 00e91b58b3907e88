/**
 * The reconciler against a real Orthanc through QIDO-RS: studies missing from the store are
 * synced, and a study deleted in Orthanc is tombstoned at the next run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmAbsent, createOrthancRest, createOrthancStudyListing, createReconciler } from '../../src/bridge/reconcile/index.js';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { createSyncService, type BridgeSyncService } from '../../src/bridge/sync/index.js';
import { createDicomWebClient, fetchStudyMetadata, searchStudies } from '../../src/dicomweb/index.js';
import { startOrthanc, type OrthancHandle } from '../support/orthanc.js';
import { memoryLogger } from '../support/fakes.js';

const FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const MR_UID = '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457';

let orthanc: OrthancHandle;
let dir: string;
let store: BridgeStore;
let sync: BridgeSyncService;

beforeAll(async () => {
  orthanc = await startOrthanc({ stableAgeSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'd2f-reconcile-int-'));
  store = openStudyStore(dir);
  const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl, timeoutMs: 10_000 });
  sync = createSyncService({
    store,
    fetchStudy: (uid) => fetchStudyMetadata(client, uid),
    convertOptions: { endpoint: { kind: 'dicomweb', baseUrl: client.baseUrl } },
    logger: memoryLogger(),
  });
});

afterAll(async () => {
  await sync?.stop();
  store?.close();
  await orthanc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('reconciliation against Orthanc', () => {
  it('syncs the studies it lists, then tombstones a study deleted in Orthanc', async () => {
    const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl, timeoutMs: 10_000 });
    const reconciler = createReconciler({
      searchStudies: (query) => searchStudies(client, { ...query, limit: 1 }),
      store,
      sync,
      cron: '0 * * * *',
      confirmAbsent: createConfirmAbsent({ orthanc: createOrthancRest({ orthancUrl: orthanc.url }), fetchStudy: (uid) => fetchStudyMetadata(client, uid) }),
      logger: memoryLogger(),
    });
    const [ctId] = await orthanc.upload([`${FILES}/CT_small.dcm`, `${FILES}/MR_small.dcm`]);

    const first = await reconciler.runOnce();
    await sync.idle();
    expect(first).toEqual({ listed: 2, enqueued: 2, deleted: 0, kept: 0, held: 0, complete: true });
    expect(store.listStudyInstanceUids()).toEqual([CT_UID, MR_UID]);
    expect(store.getByStudyInstanceUid(MR_UID)?.resource?.series?.length).toBe(1);

    const again = await reconciler.runOnce();
    expect(again).toEqual({ listed: 2, enqueued: 0, deleted: 0, kept: 0, held: 0, complete: true });

    const res = await fetch(`${orthanc.url}/studies/${ctId}`, { method: 'DELETE', headers: orthanc.headers });
    expect(res.status).toBe(200);
    const afterDelete = await reconciler.runOnce();
    expect(afterDelete).toEqual({ listed: 1, enqueued: 0, deleted: 1, kept: 0, held: 0, complete: true });
    expect(store.getByStudyInstanceUid(CT_UID)).toMatchObject({ deleted: true, versionId: 2 });
    expect(store.getByStudyInstanceUid(MR_UID)).toMatchObject({ deleted: false, versionId: 1 });
  });

  it('deletes nothing while the source cannot be listed', async () => {
    const unreachable = createDicomWebClient({ baseUrl: 'http://127.0.0.1:9/dicom-web', timeoutMs: 2_000 });
    const reconciler = createReconciler({
      searchStudies: (query) => searchStudies(unreachable, query),
      store,
      sync,
      cron: '0 * * * *',
      confirmAbsent: createConfirmAbsent({ orthanc: createOrthancRest({ orthancUrl: orthanc.url }), fetchStudy: (uid) => fetchStudyMetadata(unreachable, uid) }),
      logger: memoryLogger(),
    });
    const summary = await reconciler.runOnce();
    expect(summary.complete).toBe(false);
    expect(summary.error).toMatch(/cannot reach/);
    expect(store.getByStudyInstanceUid(MR_UID)?.deleted).toBe(false);
  });

  it('lists through Orthanc’s /tools/find the same studies QIDO-RS lists, page by page and within a date range', async () => {
    await orthanc.upload([`${FILES}/CT_small.dcm`, `${FILES}/MR_small.dcm`]);
    const client = createDicomWebClient({ baseUrl: orthanc.dicomWebUrl, timeoutMs: 10_000 });
    const listing = createOrthancStudyListing({ orthancUrl: orthanc.url, pageSize: 1 });
    for (const query of [{}, { studyDate: '20040101-20040131' }, { studyDate: '20040201-' }, { studyDate: '-20040131' }, { studyDate: '19000101' }]) {
      const viaQido = (await searchStudies(client, query)).sort();
      const viaOrthanc = await listing(query);
      expect(viaOrthanc.kind === 'listed' ? viaOrthanc.studyInstanceUids.sort() : viaOrthanc, JSON.stringify(query)).toEqual(viaQido);
    }
    expect((await searchStudies(client, { studyDate: '20040101-20040131' })).sort()).toEqual([CT_UID]);
    expect((await searchStudies(client, { studyDate: '20040201-' })).sort()).toEqual([MR_UID]);
  });
});
