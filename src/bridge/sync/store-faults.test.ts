import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasets, fakeConvert, memoryLogger } from '../../../test/support/fakes.js';
import { openStudyStore, type BridgeStore } from '../store/index.js';
import { createSyncService, type BridgeSyncService } from './service.js';

let dir: string;
let store: BridgeStore;
let sync: BridgeSyncService | undefined;
let logger: ReturnType<typeof memoryLogger>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-sync-faults-'));
  store = openStudyStore(dir);
  logger = memoryLogger();
});

afterEach(async () => {
  await sync?.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store, with its writes failing as SQLite does on a full disk while `full.on` is set. */
function fillable(target: BridgeStore): { store: BridgeStore; full: { on: boolean }; refused: string[] } {
  const full = { on: false };
  const refused: string[] = [];
  const writes = new Set(['addPending', 'putSynced', 'putSyncedMany', 'recordFailure', 'removePending', 'clearFailure', 'put']);
  const store = new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver) as unknown;
      if (typeof value !== 'function' || !writes.has(String(name))) return value;
      return (...args: unknown[]) => {
        if (full.on) {
          refused.push(String(name));
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        }
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { store, full, refused };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sync service on a failing store', () => {
  it('keeps retrying a failed study whose retry timer meets a full disk, and syncs it once space is back', async () => {
    const { store: faulty, full, refused } = fillable(store);
    let sourceUp = false;
    sync = createSyncService({
      store: faulty,
      convert: fakeConvert,
      convertOptions: {},
      logger,
      backoff: { baseMs: 20, maxMs: 20 },
      storeBackoff: { baseMs: 10, maxMs: 40 },
      fetchStudy: async (uid) => {
        if (!sourceUp) throw new Error('HTTP 503 from the PACS');
        return datasets(uid);
      },
    });
    sync.enqueue('1.2.3', 'webhook');
    await until('the failure recorded', () => store.getFailure('1.2.3') !== undefined);
    full.on = true;
    sourceUp = true;
    // The retry timer fires into `enqueue`, whose stored-queue write fails: retried, never thrown.
    await until('several refused writes', () => refused.filter((name) => name === 'addPending').length >= 3);
    expect(store.get('1.2.3')).toBeUndefined();
    expect(sync.status().storeFaultRetries).toBe(1);
    full.on = false;
    await until('the study stored', () => store.get('1.2.3') !== undefined);
    await sync.idle();
    expect(store.getFailure('1.2.3')).toBeUndefined();
    expect(store.listPending()).toEqual([]);
    expect(sync.status()).toMatchObject({ storeFaultRetries: 0, failures: [] });
    expect(logger.lines.some((line) => line.startsWith('the store failed during a sync; will retry') && line.includes('database or disk is full'))).toBe(true);
  });

  it('does not count store faults as attempts of the study: a study past maxAttempts of full disk is still synced', async () => {
    const { store: faulty, full, refused } = fillable(store);
    sync = createSyncService({
      store: faulty,
      convert: fakeConvert,
      convertOptions: {},
      logger,
      maxAttempts: 1,
      storeBackoff: { baseMs: 5, maxMs: 20 },
      fetchStudy: async (uid) => datasets(uid),
    });
    sync.enqueue('1.2.3', 'webhook');
    full.on = true;
    await until('several refused writes', () => refused.includes('putSyncedMany') && refused.length >= 4);
    full.on = false;
    await until('the study stored', () => store.get('1.2.3') !== undefined);
    await sync.idle();
    expect(store.getFailure('1.2.3')).toBeUndefined();
    expect(store.listPending()).toEqual([]);
  });

  it('shows the last failures read while the store cannot be read', async () => {
    sync = createSyncService({ store, convert: fakeConvert, convertOptions: {}, logger, fetchStudy: async () => undefined });
    store.recordFailure({ studyInstanceUid: '1.2.3', attempts: 8, lastError: 'x', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    expect(sync.status().failures).toHaveLength(1);
    const failing = sync;
    store.close();
    expect(failing.status().failures).toHaveLength(1);
    store = openStudyStore(dir);
  });
});
