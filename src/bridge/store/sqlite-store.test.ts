import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imagingStudy } from '../../../test/support/studies.js';
import { openStudyStore, STORE_FILE_NAME, type BridgeStore } from './sqlite-store.js';

let dir: string;
let store: BridgeStore;
let clock: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-store-'));
  clock = Date.parse('2024-06-01T12:00:00.000Z');
  store = openStudyStore(join(dir, 'data'), { now: () => new Date((clock += 1000)) });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('versions', () => {
  it('creates the data directory, the SQLite file in WAL mode and version 1 with meta', () => {
    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3' }));
    expect(existsSync(join(dir, 'data', STORE_FILE_NAME))).toBe(true);
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(outcome).toBe('created');
    expect(study).toMatchObject({ id: '1.2.3', studyInstanceUid: '1.2.3', versionId: 1, deleted: false, lastUpdated: '2024-06-01T12:00:01.000Z' });
    expect(study.resource?.meta).toEqual({ versionId: '1', lastUpdated: '2024-06-01T12:00:01.000Z' });
    expect(store.get('1.2.3')?.resource).toEqual(study.resource);
  });

  it('stores no new version when only key order or meta differ', () => {
    store.put(imagingStudy({ uid: '1.2.3', description: 'Head' }));
    const reordered = JSON.parse(JSON.stringify({ description: 'Head', ...imagingStudy({ uid: '1.2.3' }), meta: { versionId: '99' } }));
    const { outcome, study } = store.put(reordered);
    expect(outcome).toBe('unchanged');
    expect(study.versionId).toBe(1);
    expect(store.history('1.2.3')).toHaveLength(1);
  });

  it('stores version 2 when the content changes and keeps version 1 in the history', () => {
    store.put(imagingStudy({ uid: '1.2.3' }));
    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3', modalities: ['CT', 'SR'] }));
    expect(outcome).toBe('updated');
    expect(study.versionId).toBe(2);
    expect(study.resource?.meta?.versionId).toBe('2');
    const history = store.history('1.2.3');
    expect(history.map((v) => v.versionId)).toEqual([1, 2]);
    expect(history[0]?.resource?.series).toHaveLength(1);
    expect(history[1]?.resource?.series).toHaveLength(2);
  });

  it('tombstones a deleted study and brings it back as a new version when synced again', () => {
    store.put(imagingStudy({ uid: '1.2.3' }));
    expect(store.markDeleted('1.2.3')).toBe(true);
    expect(store.markDeleted('1.2.3')).toBe(false);
    expect(store.markDeleted('9.9.9')).toBe(false);
    expect(store.get('1.2.3')).toMatchObject({ deleted: true, versionId: 2 });
    expect(store.get('1.2.3')?.resource).toBeUndefined();
    expect(store.listStudyInstanceUids()).toEqual([]);
    expect(store.search({ identifier: { value: '1.2.3' }, count: 10, offset: 0 }).total).toBe(0);
    const again = store.put(imagingStudy({ uid: '1.2.3' }));
    expect(again.outcome).toBe('created');
    expect(again.study.versionId).toBe(3);
    expect(store.history('1.2.3').map((v) => v.deleted)).toEqual([false, true, false]);
  });

  it('refuses a resource without a DICOM UID identifier', () => {
    const study = imagingStudy({ uid: '1.2.3' });
    study.identifier = [];
    expect(() => store.put(study)).toThrow(/urn:dicom:uid/);
  });

  it('refuses the same study under a second id', () => {
    store.put(imagingStudy({ uid: '1.2.3' }));
    expect(() => store.put({ ...imagingStudy({ uid: '1.2.3' }), id: 'other' })).toThrow(/already stored under id 1.2.3/);
  });
});

describe('reads without parsing', () => {
  it('gives the current version as the stored UTF-8 bytes of JSON.stringify of what get parses', () => {
    store.put(imagingStudy({ uid: '1.2.3', description: 'Head' }));
    const { study } = store.put(imagingStudy({ uid: '1.2.3', modalities: ['CT', 'SR'], description: 'Ünïcode \u2028 "quoted" 😀' }));
    const text = store.getJson('1.2.3');
    expect(text).toEqual({ id: '1.2.3', versionId: 2, lastUpdated: study.lastUpdated, deleted: false, json: expect.any(Buffer) });
    expect(text?.json?.toString('utf8')).toBe(JSON.stringify(store.get('1.2.3')?.resource));
    expect(text?.json?.toString('utf8')).toContain('Ünïcode');
    expect(store.getVersion('1.2.3')).toEqual({ versionId: 2, deleted: false });
  });

  it('gives a tombstone without text and nothing for an unknown id', () => {
    store.put(imagingStudy({ uid: '1.2.3' }));
    store.markDeleted('1.2.3');
    expect(store.getJson('1.2.3')).toEqual({ id: '1.2.3', versionId: 2, lastUpdated: '2024-06-01T12:00:02.000Z', deleted: true });
    expect(store.getVersion('1.2.3')).toEqual({ versionId: 2, deleted: true });
    expect(store.getJson('9.9.9')).toBeUndefined();
    expect(store.getVersion('9.9.9')).toBeUndefined();
  });
});

describe('search', () => {
  beforeEach(() => {
    store.put(imagingStudy({ uid: '1.1', accession: 'ACC1', started: '2024-01-10T08:00:00+01:00', modalities: ['CT'] }));
    store.put(imagingStudy({ uid: '1.2', accession: 'ACC2', started: '2024-02-20', modalities: ['MR', 'SR'] }));
    store.put(imagingStudy({ uid: '1.3', started: '2024-02-20T23:30:00-05:00', modalities: ['US'] }));
    store.put(imagingStudy({ uid: '1.4', modalities: ['CT'] }));
  });

  const ids = (result: { studies: Array<{ id: string }> }): string[] => result.studies.map((s) => s.id);

  it('finds a study by its UID as urn:oid with the system, bare, or by accession number', () => {
    expect(ids(store.search({ identifier: { system: 'urn:dicom:uid', value: 'urn:oid:1.2' }, count: 10, offset: 0 }))).toEqual(['1.2']);
    expect(ids(store.search({ identifier: { value: '1.2' }, count: 10, offset: 0 }))).toEqual(['1.2']);
    expect(ids(store.search({ identifier: { system: 'urn:dicom:uid', value: '1.3' }, count: 10, offset: 0 }))).toEqual(['1.3']);
    expect(ids(store.search({ identifier: { value: 'ACC1' }, count: 10, offset: 0 }))).toEqual(['1.1']);
    expect(ids(store.search({ identifier: { system: 'http://other', value: 'ACC1' }, count: 10, offset: 0 }))).toEqual([]);
  });

  it('finds studies by the modality of any series, several codes meaning any of them', () => {
    expect(ids(store.search({ modality: ['SR'], count: 10, offset: 0 }))).toEqual(['1.2']);
    expect(ids(store.search({ modality: ['CT', 'US'], count: 10, offset: 0 }))).toEqual(['1.3', '1.1', '1.4']);
  });

  it('sorts by start, most recent first, studies without a start last, then by id', () => {
    expect(ids(store.search({ count: 10, offset: 0 }))).toEqual(['1.3', '1.2', '1.1', '1.4']);
  });

  it('filters by started with prefixes combined as AND', () => {
    expect(ids(store.search({ started: [{ prefix: 'eq', value: '2024-02' }], count: 10, offset: 0 }))).toEqual(['1.3', '1.2']);
    expect(
      ids(store.search({ started: [{ prefix: 'ge', value: '2024-01-01' }, { prefix: 'lt', value: '2024-02-01' }], count: 10, offset: 0 })),
    ).toEqual(['1.1']);
    expect(ids(store.search({ started: [{ prefix: 'gt', value: '2024-02-21T00:00:00Z' }], count: 10, offset: 0 }))).toEqual(['1.3']);
  });

  it('pages with count and offset and reports the total of all matches', () => {
    const page1 = store.search({ count: 2, offset: 0 });
    const page2 = store.search({ count: 2, offset: 2 });
    const page3 = store.search({ count: 2, offset: 4 });
    expect([page1.total, page2.total, page3.total]).toEqual([4, 4, 4]);
    expect([...ids(page1), ...ids(page2)]).toEqual(['1.3', '1.2', '1.1', '1.4']);
    expect(ids(page3)).toEqual([]);
    expect(store.search({ count: 0, offset: 0 })).toEqual({ total: 4, studies: [] });
  });

  it('rejects a malformed date and a negative count', () => {
    expect(() => store.search({ started: [{ prefix: 'eq', value: '2024-99' }], count: 1, offset: 0 })).toThrow(RangeError);
    expect(() => store.search({ count: -1, offset: 0 })).toThrow(RangeError);
  });

  it('reindexes a study whose content changed', () => {
    store.put(imagingStudy({ uid: '1.4', modalities: ['MG'] }));
    expect(ids(store.search({ modality: ['CT'], count: 10, offset: 0 }))).toEqual(['1.1']);
    expect(ids(store.search({ modality: ['MG'], count: 10, offset: 0 }))).toEqual(['1.4']);
  });
});

describe('cursors, failures and Orthanc ids', () => {
  it('keeps cursors, failures and the Orthanc id map across reopening', () => {
    store.setCursor('orthanc-changes', 17);
    store.recordFailure({ studyInstanceUid: '1.5', attempts: 2, lastError: 'HTTP 503', lastAttemptAt: '2024-01-01T00:00:00.000Z', nextAttemptAt: '2024-01-01T00:01:00.000Z' });
    store.recordFailure({ studyInstanceUid: '1.6', attempts: 8, lastError: 'timeout', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    store.mapOrthancStudyId('abc', '1.5');
    store.close();
    store = openStudyStore(join(dir, 'data'));
    expect(store.getCursor('orthanc-changes')).toBe(17);
    expect(store.getCursor('other')).toBeUndefined();
    expect(store.listFailures()).toEqual([
      { studyInstanceUid: '1.5', attempts: 2, lastError: 'HTTP 503', lastAttemptAt: '2024-01-01T00:00:00.000Z', nextAttemptAt: '2024-01-01T00:01:00.000Z' },
      { studyInstanceUid: '1.6', attempts: 8, lastError: 'timeout', lastAttemptAt: '2024-01-01T00:00:00.000Z' },
    ]);
    expect(store.studyUidForOrthancId('abc')).toBe('1.5');
    store.clearFailure('1.5');
    expect(store.listFailures().map((f) => f.studyInstanceUid)).toEqual(['1.6']);
  });

  it('lists live studies with their start and last update, without tombstones', () => {
    store.put(imagingStudy({ uid: '1.1', started: '2024-01-10' }));
    store.put(imagingStudy({ uid: '1.2' }));
    store.put(imagingStudy({ uid: '1.3' }));
    store.markDeleted('1.3');
    expect(store.listStudySummaries()).toEqual([
      { studyInstanceUid: '1.1', started: '2024-01-10', lastUpdated: '2024-06-01T12:00:01.000Z' },
      { studyInstanceUid: '1.2', lastUpdated: '2024-06-01T12:00:02.000Z' },
    ]);
  });

  it('keeps queued syncs until removed, a second queuing updating the reason only', () => {
    store.addPending(['1.1', '1.2'], 'reconcile');
    store.addPending(['1.2'], 'webhook');
    store.removePending('1.1');
    expect(store.listPending()).toEqual([{ studyInstanceUid: '1.2', reason: 'webhook', queuedAt: '2024-06-01T12:00:01.000Z' }]);
  });

  it('maps many Orthanc ids at once, a later pair for the same id replacing the earlier', () => {
    store.mapOrthancStudyId('abc', '1.0');
    store.mapOrthancStudyIds([
      ['abc', '1.5'],
      ['def', '1.6'],
      ['def', '1.7'],
    ]);
    store.mapOrthancStudyIds([]);
    expect(store.studyUidForOrthancId('abc')).toBe('1.5');
    expect(store.studyUidForOrthancId('def')).toBe('1.7');
    expect(store.studyUidForOrthancId('ghi')).toBeUndefined();
  });

  it('stores a synced version, clears its failure and takes it out of the queue together; a refused put changes none of them', () => {
    const failure = { attempts: 1, lastError: 'HTTP 503', lastAttemptAt: '2024-01-01T00:00:00.000Z' };
    store.addPending(['1.1', '1.2'], 'changes');
    store.recordFailure({ studyInstanceUid: '1.1', ...failure });
    expect(store.putSynced('1.1', imagingStudy({ uid: '1.1' }), { dequeue: true }).outcome).toBe('created');
    expect(store.listFailures()).toEqual([]);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2']);
    expect(store.putSynced('1.2', imagingStudy({ uid: '1.2' }), { dequeue: false }).outcome).toBe('created');
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2']);

    store.recordFailure({ studyInstanceUid: '1.2', ...failure });
    expect(() => store.putSynced('1.2', { ...imagingStudy({ uid: '1.2' }), id: 'other' }, { dequeue: true })).toThrow(/already stored/);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2']);
    expect(store.listFailures().map((f) => f.studyInstanceUid)).toEqual(['1.2']);
  });

  it('stores a group of synced studies in one transaction, a refused study rolled back alone', () => {
    store.addPending(['1.1', '1.2', '1.3'], 'changes');
    store.recordFailure({ studyInstanceUid: '1.3', attempts: 1, lastError: 'HTTP 503', lastAttemptAt: '2024-01-01T00:00:00.000Z' });
    store.put(imagingStudy({ uid: '1.2' }));
    const outcomes = store.putSyncedMany([
      { studyInstanceUid: '1.1', resource: imagingStudy({ uid: '1.1' }), dequeue: true },
      { studyInstanceUid: '1.2', resource: { ...imagingStudy({ uid: '1.2', modalities: ['MR'] }), id: 'other' }, dequeue: true },
      { studyInstanceUid: '1.3', resource: imagingStudy({ uid: '1.3' }), dequeue: false },
    ]);
    expect(outcomes.map((o) => (o.ok ? o.outcome : (o.error as Error).message))).toEqual(['created', expect.stringMatching(/already stored/), 'created']);
    expect(store.getByStudyInstanceUid('1.1')?.versionId).toBe(1);
    expect(store.getByStudyInstanceUid('1.2')).toMatchObject({ id: '1.2', versionId: 1 });
    expect(store.getByStudyInstanceUid('1.3')?.versionId).toBe(1);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2', '1.3']);
    expect(store.listFailures()).toEqual([]);
  });

  it('stores none of a group when the store fails inside it, and throws the fault', () => {
    store.addPending(['1.1', '1.2'], 'changes');
    // A write the database itself refuses midway, as a full disk would.
    store.database.exec("CREATE TEMP TRIGGER refuse_second BEFORE INSERT ON study_versions WHEN NEW.id = '1.2' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    expect(() =>
      store.putSyncedMany([
        { studyInstanceUid: '1.1', resource: imagingStudy({ uid: '1.1' }), dequeue: true },
        { studyInstanceUid: '1.2', resource: imagingStudy({ uid: '1.2' }), dequeue: true },
      ]),
    ).toThrow(expect.objectContaining({ name: 'StoreError' }));
    expect(store.getByStudyInstanceUid('1.1')).toBeUndefined();
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.1', '1.2']);
  });

  it('answers ping while open and throws once closed', () => {
    expect(() => store.ping()).not.toThrow();
    store.close();
    expect(() => store.ping()).toThrow();
  });
});
