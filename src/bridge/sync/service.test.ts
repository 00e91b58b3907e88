import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasets, fakeConvert, memoryLogger } from '../../../test/support/fakes.js';
import { openStudyStore, type BridgeStore } from '../store/index.js';
import { createSyncService, type BridgeSyncService, type SyncServiceOptions } from './service.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let dir: string;
let store: BridgeStore;
let services: BridgeSyncService[];
let logger: ReturnType<typeof memoryLogger>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-sync-'));
  store = openStudyStore(dir);
  services = [];
  logger = memoryLogger();
});

afterEach(async () => {
  for (const service of services) await service.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function service(overrides: Partial<SyncServiceOptions> & Pick<SyncServiceOptions, 'fetchStudy'>): BridgeSyncService {
  const created = createSyncService({
    store,
    convert: fakeConvert,
    convertOptions: { endpoint: { kind: 'dicomweb', baseUrl: 'http://pacs/dicom-web' }, format: 'bundle' },
    logger,
    backoff: { baseMs: 20, maxMs: 100 },
    ...overrides,
  });
  services.push(created);
  return created;
}

describe('syncStudy', () => {
  it('asks the source once for a study synced by several callers at the same time, and again once they are done', async () => {
    let fetches = 0;
    const release = deferred();
    const sync = service({
      fetchStudy: async (uid) => {
        fetches += 1;
        await release.promise;
        return datasets(uid, ['CT']);
      },
    });
    const together = Promise.all([sync.syncStudy('1.2.3', 'on-demand'), sync.syncStudy('1.2.3', 'on-demand'), sync.syncStudy('1.2.3', 'manual')]);
    release.resolve();
    expect((await together).map((r) => r.outcome).sort()).toEqual(['created', 'unchanged', 'unchanged']);
    expect(fetches).toBe(1);
    await sync.syncStudy('1.2.3', 'manual');
    expect(fetches).toBe(2);
  });

  it('fetches, converts with the caller options as an ImagingStudy, stores, and reports unchanged the second time', async () => {
    const stored: Array<[string, string, number]> = [];
    const sync = service({
      fetchStudy: async (uid) => datasets(uid, ['CT', 'SR']),
      onStored: (study, outcome, source) => void stored.push([study.id, outcome, source.length]),
    });
    const first = await sync.syncStudy('1.2.3', 'manual');
    expect(first.outcome).toBe('created');
    expect(first.study?.resource?.description).toBe('http://pacs/dicom-web');
    expect(store.get('1.2.3')?.resource?.series?.map((s) => (s.modality as { code?: string }).code)).toEqual(['CT', 'SR']);
    const second = await sync.syncStudy('1.2.3', 'manual');
    expect(second.outcome).toBe('unchanged');
    expect(second.study?.versionId).toBe(1);
    expect(stored).toEqual([['1.2.3', 'created', 2]]);
  });

  it('stores a new version when the study grew at the source', async () => {
    let modalities = ['CT'];
    const sync = service({ fetchStudy: async (uid) => datasets(uid, modalities) });
    await sync.syncStudy('1.2.3', 'webhook');
    modalities = ['CT', 'MR'];
    const result = await sync.syncStudy('1.2.3', 'webhook');
    expect(result.outcome).toBe('updated');
    expect(result.study?.versionId).toBe(2);
  });

  it('answers not-found and stores nothing when the source has no such study', async () => {
    const sync = service({ fetchStudy: async () => undefined });
    expect(await sync.syncStudy('1.2.3', 'on-demand')).toEqual({ studyInstanceUid: '1.2.3', outcome: 'not-found' });
    expect(store.get('1.2.3')).toBeUndefined();
  });

  it('rejects a malformed UID before anything is fetched', async () => {
    const asked: string[] = [];
    const sync = service({ fetchStudy: async (uid) => (asked.push(uid), undefined) });
    await expect(sync.syncStudy('../instances', 'on-demand')).rejects.toThrow(/not a valid DICOM UID/);
    expect(() => sync.enqueue('1.2.3.', 'webhook')).toThrow(/not a valid DICOM UID/);
    expect(() => sync.enqueue(`1.${'2'.repeat(64)}`, 'webhook')).toThrow(/not a valid DICOM UID/);
    expect(asked).toEqual([]);
  });

  it('refuses metadata of another study than the one asked for', async () => {
    const sync = service({ fetchStudy: async () => datasets('9.9.9') });
    await expect(sync.syncStudy('1.2.3', 'manual')).rejects.toThrow(/answered study 9.9.9 when asked for 1.2.3/);
    expect(store.get('9.9.9')).toBeUndefined();
  });

  it('logs UIDs and counts but never the patient name', async () => {
    const sync = service({ fetchStudy: async (uid) => datasets(uid) });
    await sync.syncStudy('1.2.3', 'manual');
    expect(logger.lines.join('\n')).toContain('1.2.3');
    expect(logger.lines.join('\n')).not.toMatch(/Doe|Jane/);
  });
});

describe('stability', () => {
  it('stores and publishes nothing of a study the source calls unstable, answering its conversion, and stores it once stable', async () => {
    const stored: string[] = [];
    const asked: Array<[string, number]> = [];
    let stable = false;
    const sync = service({
      fetchStudy: async (uid) => datasets(uid, ['CT', 'SR']),
      checkStability: async (uid, instances) => {
        asked.push([uid, instances]);
        return stable ? { stable: true } : { stable: false, reason: 'still arriving' };
      },
      onStored: (study) => void stored.push(study.id),
    });
    store.recordFailure({ studyInstanceUid: '1.2.3', attempts: 1, lastError: 'HTTP 500', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    const arriving = await sync.syncStudy('1.2.3', 'on-demand');
    expect([arriving.outcome, arriving.study, arriving.resource?.id, arriving.resource?.numberOfSeries]).toEqual(['unstable', undefined, '1.2.3', 2]);
    sync.enqueue('1.2.3', 'reconcile');
    await sync.idle();
    expect([store.get('1.2.3'), store.listPending(), store.listFailures(), stored]).toEqual([undefined, [], [], []]);
    stable = true;
    expect((await sync.syncStudy('1.2.3', 'changes')).outcome).toBe('created');
    expect(stored).toEqual(['1.2.3']);
    expect(asked).toEqual([
      ['1.2.3', 2],
      ['1.2.3', 2],
      ['1.2.3', 2],
    ]);
  });

  it('does not store a study deleted while its stability was being asked', async () => {
    let deleteDuringCheck = (): void => undefined;
    const sync = service({
      fetchStudy: async (uid) => datasets(uid),
      checkStability: async () => {
        deleteDuringCheck();
        return { stable: true };
      },
    });
    await sync.syncStudy('1.2.3', 'manual');
    deleteDuringCheck = () => void sync.deleteStudy('1.2.3');
    expect((await sync.syncStudy('1.2.3', 'webhook')).outcome).toBe('not-found');
    expect(store.get('1.2.3')?.deleted).toBe(true);
  });
});

describe('queue', () => {
  it('runs a study queued several times once', async () => {
    const calls: string[] = [];
    const gate = deferred();
    const sync = service({
      concurrency: 1,
      fetchStudy: async (uid) => {
        calls.push(uid);
        await gate.promise;
        return datasets(uid);
      },
    });
    sync.enqueue('1.1', 'webhook');
    sync.enqueue('1.2', 'webhook');
    sync.enqueue('1.2', 'changes');
    sync.enqueue('1.2', 'reconcile');
    expect(sync.status()).toMatchObject({ queued: 1, inFlight: 1 });
    gate.resolve();
    await sync.idle();
    expect(calls).toEqual(['1.1', '1.2']);
  });

  it('runs a study queued while it is running exactly once more afterwards', async () => {
    const calls: string[] = [];
    const gate = deferred();
    const sync = service({
      fetchStudy: async (uid) => {
        calls.push(uid);
        if (calls.length === 1) await gate.promise;
        return datasets(uid, calls.length === 1 ? ['CT'] : ['CT', 'MR']);
      },
    });
    sync.enqueue('1.1', 'webhook');
    await new Promise((resolve) => setTimeout(resolve, 10));
    sync.enqueue('1.1', 'changes');
    sync.enqueue('1.1', 'reconcile');
    gate.resolve();
    await sync.idle();
    expect(calls).toEqual(['1.1', '1.1']);
    expect(store.get('1.1')?.versionId).toBe(2);
  });

  it('never runs more syncs at once than the concurrency limit', async () => {
    let active = 0;
    let peak = 0;
    const sync = service({
      concurrency: 3,
      fetchStudy: async (uid) => {
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 15));
        active -= 1;
        return datasets(uid);
      },
    });
    for (let i = 1; i <= 12; i += 1) sync.enqueue(`1.${i}`, 'reconcile');
    await sync.idle();
    expect(peak).toBe(3);
    expect(store.listStudyInstanceUids()).toHaveLength(12);
  });
});

describe('retries and failures', () => {
  it('retries with growing backoff, records the failure meanwhile and clears it on success', async () => {
    const times: number[] = [];
    const seenFailures: Array<number | undefined> = [];
    const sync = service({
      random: () => 0.999,
      fetchStudy: async (uid) => {
        times.push(Date.now());
        seenFailures.push(store.getFailure(uid)?.attempts);
        if (times.length <= 2) throw new Error('HTTP 503 from http://pacs/dicom-web/studies/1.2.3/metadata');
        return datasets(uid);
      },
    });
    sync.enqueue('1.2.3', 'webhook');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.getFailure('1.2.3')).toMatchObject({ attempts: 1, lastError: 'HTTP 503 from http://pacs/dicom-web/studies/1.2.3/metadata' });
    expect(store.getFailure('1.2.3')?.nextAttemptAt).toBeDefined();
    await sync.idle();
    expect(seenFailures).toEqual([undefined, 1, 2]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(18);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(38);
    expect(store.getFailure('1.2.3')).toBeUndefined();
    expect(store.get('1.2.3')?.versionId).toBe(1);
  });

  it('stops retrying after maxAttempts, keeps the failure visible, and tries once more when queued again', async () => {
    let calls = 0;
    const sync = service({
      maxAttempts: 3,
      fetchStudy: async () => {
        calls += 1;
        throw new Error('connection refused');
      },
    });
    sync.enqueue('1.2.3', 'webhook');
    await sync.idle();
    expect(calls).toBe(3);
    const failure = store.getFailure('1.2.3');
    expect(failure).toMatchObject({ attempts: 3, lastError: 'connection refused' });
    expect(failure?.nextAttemptAt).toBeUndefined();
    expect(sync.status().failures.map((f) => f.studyInstanceUid)).toEqual(['1.2.3']);
    sync.enqueue('1.2.3', 'reconcile');
    await sync.idle();
    expect(calls).toBe(4);
    expect(store.getFailure('1.2.3')?.attempts).toBe(4);
  });

  it('schedules the retries of recorded failures when a new service starts on the same store', async () => {
    store.recordFailure({ studyInstanceUid: '1.5', attempts: 2, lastError: 'HTTP 500', lastAttemptAt: '2024-01-01T00:00:00.000Z', nextAttemptAt: '2024-01-01T00:00:10.000Z' });
    store.recordFailure({ studyInstanceUid: '1.6', attempts: 8, lastError: 'HTTP 500', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    const calls: string[] = [];
    const sync = service({ fetchStudy: async (uid) => (calls.push(uid), datasets(uid)) });
    await sync.idle();
    expect(calls).toEqual(['1.5']);
    expect(store.listFailures().map((f) => f.studyInstanceUid)).toEqual(['1.6']);
  });

  it('keeps queued studies in the stored queue on stop, and the next service runs them', async () => {
    const gate = deferred();
    const first = service({
      concurrency: 1,
      fetchStudy: async (uid) => {
        await gate.promise;
        return datasets(uid);
      },
    });
    first.enqueue('1.1', 'webhook');
    first.enqueue('1.2', 'changes');
    first.enqueue('1.3', 'webhook');
    const stopped = first.stop();
    gate.resolve();
    await stopped;
    expect(store.get('1.1')?.versionId).toBe(1);
    expect(store.listPending().map((p) => [p.studyInstanceUid, p.reason])).toEqual([['1.2', 'changes'], ['1.3', 'webhook']]);
    expect(store.listFailures()).toEqual([]);
    const calls: string[] = [];
    const second = service({ fetchStudy: async (uid) => (calls.push(uid), datasets(uid)) });
    await second.idle();
    expect(calls.sort()).toEqual(['1.2', '1.3']);
    expect(store.listPending()).toEqual([]);
  });

  it('takes a synced study out of the stored queue in the transaction that stores its version', async () => {
    const writes: string[] = [];
    const spied: BridgeStore = {
      ...store,
      putSyncedMany: (studies) => (writes.push(...studies.map((s) => `putSynced ${s.studyInstanceUid} dequeue=${s.dequeue}`)), store.putSyncedMany(studies)),
      removePending: (uid) => (writes.push(`removePending ${uid}`), store.removePending(uid)),
    };
    const sync = service({ store: spied, fetchStudy: async (uid) => datasets(uid) });
    sync.enqueue('1.1', 'changes');
    await sync.idle();
    expect(writes).toEqual(['putSynced 1.1 dequeue=true']);
    expect(store.listPending()).toEqual([]);
    expect(store.get('1.1')?.versionId).toBe(1);
    // A direct sync (a read of a study not stored yet) leaves the stored queue alone.
    store.addPending(['1.2'], 'webhook');
    await sync.syncStudy('1.2', 'on-demand');
    expect(writes.at(-1)).toBe('putSynced 1.2 dequeue=false');
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2']);
  });

  it('stores the studies whose syncs end together in one transaction, each leaving the stored queue in it', async () => {
    const groups: string[][] = [];
    const spied: BridgeStore = { ...store, putSyncedMany: (studies) => (groups.push(studies.map((s) => s.studyInstanceUid)), store.putSyncedMany(studies)) };
    const release = deferred();
    const sync = service({
      store: spied,
      fetchStudy: async (uid) => {
        await release.promise;
        return datasets(uid);
      },
    });
    sync.enqueueMany(['1.1', '1.2', '1.3'], 'changes');
    release.resolve();
    await sync.idle();
    expect(groups).toEqual([['1.1', '1.2', '1.3']]);
    expect(store.listPending()).toEqual([]);
    expect(['1.1', '1.2', '1.3'].map((uid) => store.get(uid)?.versionId)).toEqual([1, 1, 1]);
  });

  it('starts the next queued sync while a finished one waits for its commit, never fetching more than the concurrency at once', async () => {
    const fetched: string[] = [];
    const fetchedAtCommit: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const spied: BridgeStore = { ...store, putSyncedMany: (studies) => (fetchedAtCommit.push([...fetched]), store.putSyncedMany(studies)) };
    const sync = service({
      store: spied,
      concurrency: 1,
      fetchStudy: async (uid) => {
        fetched.push(uid);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return datasets(uid);
      },
    });
    sync.enqueueMany(['1.1', '1.2', '1.3'], 'changes');
    await sync.idle();
    // When 1.1 is committed, 1.2 is already being fetched (or done).
    expect(fetchedAtCommit[0]?.slice(0, 2)).toEqual(['1.1', '1.2']);
    expect(maxInFlight).toBe(1);
    expect(['1.1', '1.2', '1.3'].map((uid) => store.get(uid)?.versionId)).toEqual([1, 1, 1]);
    expect(store.listPending()).toEqual([]);
  });

  it('does not sync a study again for a reconciliation that asks for it while its sync runs, but does for the change feed', async () => {
    const fetched: string[] = [];
    const release = deferred();
    const sync = service({
      fetchStudy: async (uid) => {
        fetched.push(uid);
        await release.promise;
        return datasets(uid);
      },
    });
    sync.enqueueMany(['1.1', '1.2'], 'changes');
    sync.enqueueMany(['1.1', '1.2', '1.3'], 'reconcile');
    sync.enqueue('1.2', 'changes');
    release.resolve();
    await sync.idle();
    expect(fetched.sort()).toEqual(['1.1', '1.2', '1.2', '1.3']);
    expect(store.listPending()).toEqual([]);
  });

  it('starts the next fetch when a fetch ends, while the study’s stability is asked, holding at most the concurrency of fetched studies besides', async () => {
    const fetched: string[] = [];
    const stability = deferred();
    const sync = service({
      concurrency: 1,
      fetchStudy: async (uid) => (fetched.push(uid), datasets(uid)),
      checkStability: async () => {
        await stability.promise;
        return { stable: true };
      },
    });
    sync.enqueueMany(['1.1', '1.2', '1.3'], 'changes');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // 1.1 asks its stability without its place; 1.2 was fetched in it and keeps it: 1.3 waits.
    expect(fetched).toEqual(['1.1', '1.2']);
    stability.resolve();
    await sync.idle();
    expect(fetched).toEqual(['1.1', '1.2', '1.3']);
    expect(['1.1', '1.2', '1.3'].map((uid) => store.get(uid)?.versionId)).toEqual([1, 1, 1]);
  });

  it('keeps a study asked for again after its version was stored in the stored queue until it ran again', async () => {
    const stored = deferred();
    const hookGate = deferred();
    let fetches = 0;
    const sync = service({
      fetchStudy: async (uid) => (fetches++, datasets(uid, fetches === 1 ? ['CT'] : ['CT', 'MR'])),
      onStored: async () => {
        stored.resolve();
        if (fetches === 1) await hookGate.promise;
      },
    });
    try {
      sync.enqueue('1.1', 'webhook');
      await stored.promise;
      expect(store.listPending()).toEqual([]);
      sync.enqueue('1.1', 'changes');
      expect(store.listPending().map((p) => [p.studyInstanceUid, p.reason])).toEqual([['1.1', 'changes']]);
    } finally {
      hookGate.resolve();
    }
    await sync.idle();
    expect(fetches).toBe(2);
    expect(store.get('1.1')?.versionId).toBe(2);
    expect(store.listPending()).toEqual([]);
  });

  it('keeps a study asked for again while it was being fetched in the stored queue when its version is stored', async () => {
    const fetchGate = deferred();
    const pendingWhenStored: string[][] = [];
    let fetches = 0;
    const sync = service({
      fetchStudy: async (uid) => {
        fetches += 1;
        if (fetches === 1) await fetchGate.promise;
        return datasets(uid, fetches === 1 ? ['CT'] : ['CT', 'MR']);
      },
      onStored: () => void pendingWhenStored.push(store.listPending().map((p) => p.studyInstanceUid)),
    });
    sync.enqueue('1.1', 'webhook');
    await new Promise((resolve) => setTimeout(resolve, 10));
    sync.enqueue('1.1', 'changes');
    fetchGate.resolve();
    await sync.idle();
    expect(pendingWhenStored).toEqual([['1.1'], []]);
    expect(store.listPending()).toEqual([]);
  });

  it('keeps a study asked for again while it ran in the stored queue when the service stops, and the next service runs it', async () => {
    const gate = deferred();
    const first = service({
      fetchStudy: async (uid) => {
        await gate.promise;
        return datasets(uid);
      },
    });
    first.enqueue('1.1', 'webhook');
    await new Promise((resolve) => setTimeout(resolve, 10));
    first.enqueue('1.1', 'changes');
    const stopped = first.stop();
    gate.resolve();
    await stopped;
    expect(store.get('1.1')?.versionId).toBe(1);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.1']);
    const calls: string[] = [];
    const second = service({ fetchStudy: async (uid) => (calls.push(uid), datasets(uid, ['CT', 'MR'])) });
    await second.idle();
    expect(calls).toEqual(['1.1']);
    expect(store.get('1.1')?.versionId).toBe(2);
    expect(store.listPending()).toEqual([]);
  });

  it('syncs after a crash a study that was queued but never ran', async () => {
    const crashed = service({ concurrency: 1, fetchStudy: () => new Promise<never>(() => undefined) });
    crashed.enqueue('1.1', 'changes');
    crashed.enqueue('1.2', 'changes');
    services.splice(services.indexOf(crashed), 1);
    const reopened = openStudyStore(dir);
    try {
      const calls: string[] = [];
      const next = createSyncService({ store: reopened, convert: fakeConvert, convertOptions: {}, logger, fetchStudy: async (uid) => (calls.push(uid), datasets(uid)) });
      await next.idle();
      await next.stop();
      expect(calls.sort()).toEqual(['1.1', '1.2']);
      expect(reopened.listStudyInstanceUids()).toEqual(['1.1', '1.2']);
      expect(reopened.listPending()).toEqual([]);
    } finally {
      reopened.close();
    }
  });

  it('leaves a sync still running when the store is closed pending in the store, and logs what it could not write', async () => {
    const gate = deferred();
    const sync = service({
      fetchStudy: async () => {
        await gate.promise;
        throw new Error('connection reset');
      },
    });
    sync.enqueue('1.7', 'webhook');
    const stopped = sync.stop();
    store.close();
    gate.resolve();
    await stopped;
    expect(logger.lines.some((line) => line.includes('could not be recorded') && line.includes('connection reset'))).toBe(true);
    store = openStudyStore(dir);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.7']);
  });

  it('counts and logs a failing onStored hook without losing the stored version', async () => {
    const sync = service({
      fetchStudy: async (uid) => datasets(uid),
      onStored: () => {
        throw new Error('outbox full');
      },
    });
    const result = await sync.syncStudy('1.2.3', 'manual');
    expect(result.outcome).toBe('created');
    expect(sync.status().hookErrors).toBe(1);
    expect(logger.lines.some((line) => line.includes('outbox full'))).toBe(true);
  });
});

describe('deleteStudy', () => {
  it('tombstones the study, clears its failure and calls onDeleted once', async () => {
    const deleted: string[] = [];
    const sync = service({ fetchStudy: async (uid) => datasets(uid), onDeleted: (uid) => void deleted.push(uid) });
    await sync.syncStudy('1.2.3', 'manual');
    store.recordFailure({ studyInstanceUid: '1.2.3', attempts: 1, lastError: 'x', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    expect(sync.deleteStudy('1.2.3')).toBe(true);
    expect(sync.deleteStudy('1.2.3')).toBe(false);
    expect(sync.deleteStudy('4.5.6')).toBe(false);
    expect(store.get('1.2.3')?.deleted).toBe(true);
    expect(store.getFailure('1.2.3')).toBeUndefined();
    expect(deleted).toEqual(['1.2.3']);
  });

  it('does not bring back a study deleted while its metadata was being fetched', async () => {
    const gate = deferred();
    let calls = 0;
    const sync = service({
      fetchStudy: async (uid) => {
        calls += 1;
        if (calls === 2) await gate.promise;
        return datasets(uid, calls === 1 ? ['CT'] : ['CT', 'MR']);
      },
    });
    await sync.syncStudy('1.2.3', 'manual');
    const pending = sync.syncStudy('1.2.3', 'changes');
    sync.deleteStudy('1.2.3');
    gate.resolve();
    expect((await pending).outcome).toBe('not-found');
    expect(store.get('1.2.3')?.deleted).toBe(true);
  });
});
