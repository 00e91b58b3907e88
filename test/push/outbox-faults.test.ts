/** Outbox behaviour under server answers a real engine does not give on demand (429 with Retry-After, 401), played by nock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import type { Bundle } from 'fhir/r4';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStudyStore } from '../../src/bridge/store/index.js';
import { createFhirClient } from '../../src/push/fhir-client.js';
import { imagingStudy } from '../support/studies.js';
import { createPushOutbox } from '../../src/push/outbox.js';
import type { StoredStudy } from '../../src/bridge/types.js';
import { studyBundle } from './study-bundle.js';

const BASE = 'http://fhir.test/fhir';
const UID = '1.2.826.0.1.3680043.10.5.1';
const json = { 'content-type': 'application/fhir+json' };
const ok: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: [] };
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noMatch: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: [] };

/** The identity checks' searches (SPEC §2.7) find nothing: every resource is new. */
function emptyServer(): void {
  nock(BASE).get(/\?/).reply(200, noMatch, json).persist();
}
const study: StoredStudy = { id: UID, studyInstanceUid: UID, versionId: 1, lastUpdated: '2026-01-01T00:00:00Z', deleted: false };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

function outboxFor(database: Database.Database) {
  return createPushOutbox({
    database,
    client: createFhirClient({ baseUrl: BASE, retries: 0 }),
    logger,
    buildBundle: () => studyBundle({ studyInstanceUid: UID, patientId: 'P', accessionNumber: 'A' }),
    backoff: { baseMs: 10, maxMs: 5000 },
  });
}

describe('push outbox against a struggling server', () => {
  it('waits the Retry-After of a 429 before sending the row again', async () => {
    const times: number[] = [];
    nock(BASE)
      .post('')
      .reply(() => {
        times.push(Date.now());
        return [429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled', diagnostics: 'slow down' }] }, { ...json, 'retry-after': '1' }];
      });
    nock(BASE)
      .post('')
      .reply(() => {
        times.push(Date.now());
        return [200, ok, json];
      });
    emptyServer();
    const database = new Database(':memory:');
    const outbox = outboxFor(database);
    outbox.onStored(study);
    outbox.start();
    await outbox.drain();
    await outbox.stop();
    expect(times).toHaveLength(2);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(990);
    expect(outbox.status()).toMatchObject({ pending: 0, failed: 0 });
    database.close();
  });

  it('keeps retrying a 401 (a credentials problem an operator fixes) instead of parking the row', async () => {
    nock(BASE).post('').times(4).reply(401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'token expired' }] }, json);
    const delivered = nock(BASE).post('').reply(200, ok, json);
    emptyServer();
    const database = new Database(':memory:');
    const outbox = outboxFor(database);
    outbox.onStored(study);
    outbox.start();
    const deadline = Date.now() + 5000;
    while (outbox.status().lastError === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const during = outbox.status();
    await outbox.drain();
    await outbox.stop();
    expect(during.pending).toBe(1);
    expect(during.lastError).toContain('answered 401 to the transaction (1 attempt): token expired');
    expect(delivered.isDone()).toBe(true);
    expect(outbox.status()).toMatchObject({ pending: 0, failed: 0 });
    database.close();
  });

  it('stops its worker with a logged error, not a crash, when the database goes away under it', async () => {
    nock(BASE).post('').delay(200).reply(200, ok, json);
    emptyServer();
    const errors: string[] = [];
    const database = new Database(':memory:');
    const outbox = createPushOutbox({
      database,
      client: createFhirClient({ baseUrl: BASE, retries: 0 }),
      logger: { ...logger, error: (_fields, message) => errors.push(message) },
      buildBundle: () => studyBundle({ studyInstanceUid: UID, patientId: 'P', accessionNumber: 'A' }),
    });
    outbox.onStored(study);
    outbox.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    database.close();
    await outbox.stop();
    expect(errors).toEqual(['push worker stopped']);
  });

  it('pauses its worker while another process holds the store locked, and sends the row by itself once the lock is gone', async () => {
    nock(BASE).post('').reply(200, ok, json).persist();
    emptyServer();
    const dir = mkdtempSync(join(tmpdir(), 'd2f-outbox-lock-'));
    const path = join(dir, 'store.sqlite');
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5');
    const warnings: string[] = [];
    const outbox = createPushOutbox({
      database,
      client: createFhirClient({ baseUrl: BASE, retries: 0 }),
      logger: { ...logger, warn: (_fields, message) => warnings.push(message) },
      buildBundle: () => studyBundle({ studyInstanceUid: UID, patientId: 'P', accessionNumber: 'A' }),
    });
    outbox.onStored(study);
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    outbox.start();
    const deadline = Date.now() + 5000;
    while (!warnings.includes('push worker paused by a store fault; it starts again') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(outbox.status().pending).toBe(1);
    other.exec('ROLLBACK');
    other.close();
    await outbox.drain();
    await outbox.stop();
    expect(outbox.status()).toMatchObject({ pending: 0, failed: 0 });
    expect(outbox.status().lastError).toBeUndefined();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('catches up without publishing a stored study that fails its checksum or was made by another FHIR version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2f-outbox-catchup-'));
    const r5 = openStudyStore(dir, { output: { fhirVersion: 'R5' } });
    r5.put(imagingStudy({ uid: '1.2.826.0.1.3680043.10.5.7' }));
    r5.close();
    const store = openStudyStore(dir);
    store.put(imagingStudy({ uid: '1.2.826.0.1.3680043.10.5.8' }));
    store.put(imagingStudy({ uid: '1.2.826.0.1.3680043.10.5.9' }));
    store.database.prepare("UPDATE studies SET resource = replace(resource, 'available', 'availablf') WHERE id = '1.2.826.0.1.3680043.10.5.9'").run();
    const outbox = outboxFor(store.database);
    expect(outbox.catchUp(store)).toEqual({ upserts: 1, deletes: 0 });
    expect(outbox.status().pending).toBe(1);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
