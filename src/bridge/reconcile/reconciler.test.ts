import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { datasets, fakeConvert, memoryLogger } from '../../../test/support/fakes.js';
import { openStudyStore, type BridgeStore } from '../store/index.js';
import { createSyncService, type BridgeSyncService } from '../sync/service.js';
import { createReconciler, type Reconciler, type SearchStudies } from './reconciler.js';

/** A source of studies (UID → Study Date) answering like QIDO-RS with a StudyDate range `YYYYMMDD-`. */
let source: Map<string, string>;
let listingFails: boolean;
/** Studies asked about one by one; `lookupFails` makes that question fail. */
const asked: string[] = [];
let lookupFails: boolean;
const confirmAbsent = async (uid: string): Promise<boolean> => {
  asked.push(uid);
  if (lookupFails) throw new Error('Orthanc POST /tools/lookup answered HTTP 500');
  return !source.has(uid);
};
const queries: Array<{ studyDate?: string }> = [];
const searchStudies: SearchStudies = async (query) => {
  queries.push(query);
  if (listingFails) throw new Error('QIDO-RS study search failed: HTTP 503');
  const from = query.studyDate?.slice(0, 8);
  return [...source].filter(([, date]) => from === undefined || date >= from).map(([uid]) => uid);
};

let dir: string;
let store: BridgeStore;
let sync: BridgeSyncService;
let reconcilers: Reconciler[];
let fetched: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-reconcile-'));
  store = openStudyStore(dir);
  source = new Map();
  listingFails = false;
  lookupFails = false;
  asked.length = 0;
  queries.length = 0;
  fetched = [];
  reconcilers = [];
  sync = createSyncService({
    store,
    convert: fakeConvert,
    convertOptions: {},
    logger: memoryLogger(),
    backoff: { baseMs: 5, maxMs: 10 },
    maxAttempts: 1,
    fetchStudy: async (uid) => {
      fetched.push(uid);
      const date = source.get(uid);
      return date === undefined ? undefined : datasets(uid, ['CT'], date);
    },
  });
});

afterEach(async () => {
  for (const reconciler of reconcilers) await reconciler.stop();
  await sync.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Waits until the clock has left the millisecond of the last stored version. The reconciler keeps
 * a study stored in the millisecond its listing began (it may have been stored during the
 * listing), so a test that expects a deletion must not start the listing in that millisecond.
 */
async function clockPastStoredVersions(): Promise<void> {
  const latest = Math.max(...store.listStudySummaries().map((study) => Date.parse(study.lastUpdated)));
  while (Date.now() <= latest) await new Promise((resolve) => setTimeout(resolve, 1));
}

function reconciler(window?: number, today: () => Date = () => new Date(), search: SearchStudies = searchStudies, share?: number): Reconciler {
  const created = createReconciler({
    searchStudies: search,
    store,
    sync,
    confirmAbsent,
    cron: '0 3 * * *',
    logger: memoryLogger(),
    today,
    ...(window !== undefined ? { window } : {}),
    ...(share !== undefined ? { deletionGuardShare: share } : {}),
  });
  reconcilers.push(created);
  return created;
}

describe('reconciliation', () => {
  it('queues studies that are missing, tombstoned or failed, and leaves synced ones alone', async () => {
    for (const uid of ['1.1', '1.2', '1.3', '1.4']) source.set(uid, '20240105');
    await sync.syncStudy('1.1', 'manual');
    await sync.syncStudy('1.2', 'manual');
    sync.deleteStudy('1.2');
    await sync.syncStudy('1.3', 'manual');
    store.recordFailure({ studyInstanceUid: '1.3', attempts: 8, lastError: 'HTTP 500', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    fetched.length = 0;
    const summary = await reconciler().runOnce();
    await sync.idle();
    expect(summary).toEqual({ listed: 4, enqueued: 3, deleted: 0, kept: 0, held: 0, complete: true });
    expect(fetched.sort()).toEqual(['1.2', '1.3', '1.4']);
    expect(store.listStudyInstanceUids()).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(store.listFailures()).toEqual([]);
  });

  it('deletes stored studies the source no longer lists', async () => {
    source.set('1.1', '20240105').set('1.2', '20240105');
    await sync.syncStudy('1.1', 'manual');
    await sync.syncStudy('1.2', 'manual');
    source.delete('1.2');
    await clockPastStoredVersions();
    const summary = await reconciler().runOnce();
    expect(summary).toMatchObject({ listed: 1, deleted: 1, complete: true });
    expect(store.get('1.2')?.deleted).toBe(true);
    expect(store.get('1.1')?.deleted).toBe(false);
  });

  it('deletes nothing when the listing fails', async () => {
    source.set('1.1', '20240105');
    await sync.syncStudy('1.1', 'manual');
    listingFails = true;
    const r = reconciler();
    const summary = await r.runOnce();
    expect(summary).toEqual({ listed: 0, enqueued: 0, deleted: 0, kept: 0, held: 0, complete: false, error: 'QIDO-RS study search failed: HTTP 503' });
    expect(r.lastRun()).toMatchObject({ complete: false });
    expect(store.get('1.1')?.deleted).toBe(false);
  });

  it('with a window, asks for recent studies only and deletes only stored studies started inside it', async () => {
    source.set('1.1', '20240301').set('1.2', '20240310').set('1.3', '20240101');
    for (const uid of ['1.1', '1.2', '1.3']) await sync.syncStudy(uid, 'manual');
    source.delete('1.1');
    source.delete('1.3');
    await clockPastStoredVersions();
    const summary = await reconciler(30, () => new Date(2024, 2, 15, 12)).runOnce();
    expect(queries.at(-1)).toEqual({ studyDate: '20240215-' });
    expect(summary).toMatchObject({ listed: 1, deleted: 1, studyDate: '20240215-' });
    expect(store.get('1.1')?.deleted).toBe(true);
    expect(store.get('1.3')?.deleted).toBe(false);
  });

  it('does not delete a study stored while the listing was running', async () => {
    source.set('1.1', '20240105');
    const listedBeforeArrival: SearchStudies = async (query) => {
      const listed = await searchStudies(query);
      source.set('1.2', '20240105');
      await sync.syncStudy('1.2', 'webhook');
      return listed;
    };
    const summary = await reconciler(undefined, undefined, listedBeforeArrival).runOnce();
    expect(summary).toMatchObject({ listed: 1, deleted: 0 });
    expect(store.get('1.2')?.deleted).toBe(false);
  });

  it('keeps a study stored in the millisecond its listing began, and deletes it at the next run', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2024-06-01T11:00:00.000Z'));
      source.set('1.1', '20240105');
      await sync.syncStudy('1.1', 'manual');
      vi.setSystemTime(new Date('2024-06-01T12:00:00.000Z'));
      source.set('1.2', '20240105');
      await sync.syncStudy('1.2', 'manual');
      source.delete('1.2');
      expect(await reconciler().runOnce()).toMatchObject({ listed: 1, deleted: 0 });
      expect(store.get('1.2')?.deleted).toBe(false);
      vi.setSystemTime(new Date('2024-06-01T12:00:00.001Z'));
      expect(await reconciler().runOnce()).toMatchObject({ listed: 1, deleted: 1 });
      expect(store.get('1.2')?.deleted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('deletes a study the listing misses only once the source, asked about it alone, confirms it lacks it', async () => {
    for (const uid of ['1.1', '1.2', '1.3', '1.4']) {
      source.set(uid, '20240105');
      await sync.syncStudy(uid, 'manual');
    }
    source.delete('1.4');
    await clockPastStoredVersions();
    // The listing misses 1.3 too (a truncated listing), but the source still has it.
    const truncated: SearchStudies = async (query) => (await searchStudies(query)).filter((uid) => uid !== '1.3');
    expect(await reconciler(undefined, undefined, truncated).runOnce()).toMatchObject({ listed: 2, deleted: 1, kept: 1, held: 0 });
    expect(asked.sort()).toEqual(['1.3', '1.4']);
    expect([store.get('1.3')?.deleted, store.get('1.4')?.deleted]).toEqual([false, true]);
  });

  it('keeps a missing study when the source cannot be asked about it, and asks again at the next run', async () => {
    source.set('1.1', '20240105').set('1.2', '20240105');
    await sync.syncStudy('1.1', 'manual');
    await sync.syncStudy('1.2', 'manual');
    source.delete('1.2');
    await clockPastStoredVersions();
    lookupFails = true;
    expect(await reconciler().runOnce()).toMatchObject({ deleted: 0, kept: 1 });
    expect(store.get('1.2')?.deleted).toBe(false);
    lookupFails = false;
    expect(await reconciler().runOnce()).toMatchObject({ deleted: 1, kept: 0 });
  });

  it('holds the deletions of an empty listing, and applies them once a person confirms, keeping a study that came back', async () => {
    const deleted: string[] = [];
    const deleteStudy = sync.deleteStudy.bind(sync);
    const watched = { enqueueMany: sync.enqueueMany.bind(sync), deleteStudy: (uid: string) => (deleted.push(uid), deleteStudy(uid)) };
    for (const uid of ['1.1', '1.2', '1.3']) {
      source.set(uid, '20240105');
      await sync.syncStudy(uid, 'manual');
    }
    const r = createReconciler({ searchStudies, store, sync: watched, confirmAbsent, logger: memoryLogger() });
    reconcilers.push(r);
    expect(r.heldDeletions()).toBeUndefined();
    source.clear();
    await clockPastStoredVersions();
    expect(await r.runOnce()).toMatchObject({ listed: 0, deleted: 0, held: 3, complete: true });
    expect(await r.runOnce()).toMatchObject({ held: 3 });
    expect(r.heldDeletions()).toEqual({ missing: 3, considered: 3, listed: 0, since: expect.any(String) });
    expect([deleted, asked, store.listStudyInstanceUids()]).toEqual([[], [], ['1.1', '1.2', '1.3']]);

    source.set('1.2', '20240105');
    expect(await r.confirmDeletions()).toEqual({ deleted: 2, kept: 1 });
    expect([deleted, store.listStudyInstanceUids(), r.heldDeletions()]).toEqual([['1.1', '1.3'], ['1.2'], undefined]);
    expect(await r.confirmDeletions()).toBeUndefined();
  });

  it('holds the deletions of a listing that misses more than the configured share of the stored studies', async () => {
    for (const uid of ['1.1', '1.2', '1.3', '1.4']) {
      source.set(uid, '20240105');
      await sync.syncStudy(uid, 'manual');
    }
    source.delete('1.1');
    source.delete('1.2');
    source.delete('1.3');
    await clockPastStoredVersions();
    expect(await reconciler(undefined, undefined, undefined, 0.5).runOnce()).toMatchObject({ listed: 1, deleted: 0, held: 3 });
    expect(store.listStudyInstanceUids()).toHaveLength(4);
    expect(await reconciler(undefined, undefined, undefined, 0.75).runOnce()).toMatchObject({ listed: 1, deleted: 3, held: 0 });
  });

  it('drops held deletions when a later listing no longer looks like a mass deletion (the PACS came back)', async () => {
    source.set('1.1', '20240105').set('1.2', '20240105');
    await sync.syncStudy('1.1', 'manual');
    await sync.syncStudy('1.2', 'manual');
    const r = reconciler();
    listingFails = false;
    const saved = new Map(source);
    source.clear();
    await clockPastStoredVersions();
    expect((await r.runOnce()).held).toBe(2);
    for (const [uid, date] of saved) source.set(uid, date);
    expect(await r.runOnce()).toMatchObject({ listed: 2, deleted: 0, held: 0 });
    expect([r.heldDeletions(), await r.confirmDeletions(), store.listStudyInstanceUids()]).toEqual([undefined, undefined, ['1.1', '1.2']]);
  });

  it('refuses a deletion guard share outside 0…1', () => {
    expect(() => createReconciler({ searchStudies, store, sync, confirmAbsent, deletionGuardShare: 1.5, logger: memoryLogger() })).toThrow(RangeError);
  });

  it('refuses an invalid cron expression', () => {
    expect(() => createReconciler({ searchStudies, store, sync, confirmAbsent, cron: 'every hour', logger: memoryLogger() })).toThrow(/cron/);
  });

  it('runs on its cron schedule once started', async () => {
    source.set('1.1', '20240105');
    const r = createReconciler({ searchStudies, store, sync, confirmAbsent, cron: '* * * * * *', logger: memoryLogger() });
    reconcilers.push(r);
    r.start();
    const deadline = Date.now() + 5000;
    while (r.lastRun() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await r.stop();
    await sync.idle();
    expect(r.lastRun()).toMatchObject({ listed: 1, enqueued: 1, complete: true });
    expect(store.get('1.1')?.versionId).toBe(1);
  });
});
