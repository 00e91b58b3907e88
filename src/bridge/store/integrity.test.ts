import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imagingStudy } from '../../../test/support/studies.js';
import { StoreCorruptionError, StoreError, StoreRefusedError, storeFaultOf } from './faults.js';
import { storeReadiness } from './readiness.js';
import { openStudyStore, STORE_FILE_NAME, type BridgeStore } from './sqlite-store.js';

let dir: string;
let store: BridgeStore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-integrity-'));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces the stored text of the current version behind the store's back (its checksum stays). */
function tamper(target: BridgeStore, id: string, edit: (text: string) => string): void {
  const row = target.database.prepare<[string], { resource: string }>('SELECT resource FROM studies WHERE id = ?').get(id);
  target.database.prepare('UPDATE studies SET resource = ? WHERE id = ?').run(edit(row?.resource ?? ''), id);
}

describe('checksums of stored resources', () => {
  it('reads back a sound study through every path', () => {
    store = openStudyStore(dir);
    store.put(imagingStudy({ uid: '1.2.3', accession: 'A1' }));
    expect(store.get('1.2.3')?.resource?.id).toBe('1.2.3');
    expect(store.getJson('1.2.3')?.json?.toString('utf8')).toContain('"id":"1.2.3"');
    expect(store.search({ identifier: { value: 'A1' }, count: 10, offset: 0 }).total).toBe(1);
    expect(store.history('1.2.3')).toHaveLength(1);
    expect(store.health.conditions()).toEqual([]);
  });

  it('refuses changed bytes on every read path, names the study but never quotes its text, and reports store-corrupt', () => {
    store = openStudyStore(dir);
    store.put(imagingStudy({ uid: '1.2.3', accession: 'SECRET-ACC' }));
    const repairs: string[] = [];
    store.health.onCorruption((uid) => repairs.push(uid));
    tamper(store, '1.2.3', (text) => text.replace('SECRET-ACC', 'SECRET-ACD'));
    const reads = [
      () => store?.get('1.2.3'),
      () => store?.getJson('1.2.3'),
      () => store?.getByStudyInstanceUid('1.2.3'),
      () => store?.search({ count: 10, offset: 0 }),
    ];
    for (const read of reads) {
      let thrown: unknown;
      try {
        read();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StoreCorruptionError);
      expect((thrown as Error).message).toBe('stored study 1.2.3 version 1: its bytes do not match their checksum');
    }
    expect(repairs).toEqual(['1.2.3', '1.2.3', '1.2.3', '1.2.3']);
    expect(storeReadiness(store)()).toEqual([
      { code: 'store-corrupt', impact: 'unavailable', message: '1 stored studies failed their checksum; they answer 500 until re-synced from the image source' },
    ]);
  });

  it('repairs a corrupted study in place when the same content is stored again, and clears store-corrupt', () => {
    store = openStudyStore(dir);
    const first = store.put(imagingStudy({ uid: '1.2.3' })).study;
    tamper(store, '1.2.3', (text) => text.replace('"available"', '"availablf"'));
    expect(() => store?.get('1.2.3')).toThrow(StoreCorruptionError);
    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3' }));
    expect(outcome).toBe('unchanged');
    expect(study).toEqual(first);
    expect(store.get('1.2.3')).toEqual(first);
    expect(store.health.conditions()).toEqual([]);
  });

  it('never puts stored text in the error of JSON that does not parse (a version stored before checksums)', () => {
    store = openStudyStore(dir);
    store.put(imagingStudy({ uid: '1.2.3', accession: 'SECRET-ACC' }));
    store.database.prepare('DELETE FROM study_output').run();
    tamper(store, '1.2.3', (text) => text.replace('{"resourceType"', '{resourceType'));
    expect(() => store?.get('1.2.3')).toThrow('stored study 1.2.3 version 1: its stored JSON does not parse');
  });
});

describe('opening the store file', () => {
  it('refuses an empty file and leaves it as it was', () => {
    writeFileSync(join(dir, STORE_FILE_NAME), '');
    expect(() => openStudyStore(dir)).toThrow(StoreRefusedError);
    expect(() => openStudyStore(dir)).toThrow(/is an empty file, not a dicom2fhir store\. It is left untouched/);
    expect(readFileSync(join(dir, STORE_FILE_NAME)).length).toBe(0);
  });

  it('refuses a file that is not SQLite', () => {
    writeFileSync(join(dir, STORE_FILE_NAME), 'hello, this is a text file and not a database at all');
    expect(() => openStudyStore(dir)).toThrow(/is not an SQLite database/);
  });

  it("refuses another application's SQLite database and leaves its tables alone", () => {
    const foreign = new BetterSqlite3(join(dir, STORE_FILE_NAME));
    foreign.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)');
    foreign.close();
    expect(() => openStudyStore(dir)).toThrow(/is an SQLite database of another schema \(tables: invoices\)/);
    const again = new BetterSqlite3(join(dir, STORE_FILE_NAME));
    expect(again.prepare('SELECT name FROM sqlite_master').all()).toEqual([{ name: 'invoices' }]);
    expect(again.pragma('user_version', { simple: true })).toBe(0);
    again.close();
  });

  it('refuses an SQLite file with a foreign application id', () => {
    const foreign = new BetterSqlite3(join(dir, STORE_FILE_NAME));
    foreign.pragma('application_id = 1234');
    foreign.exec('CREATE TABLE studies (id TEXT)');
    foreign.close();
    expect(() => openStudyStore(dir)).toThrow(/another application \(application_id 1234\)/);
  });

  it('creates a new store only where no file exists, and opens it again', () => {
    mkdirSync(join(dir, 'fresh'));
    openStudyStore(join(dir, 'fresh')).close();
    store = openStudyStore(join(dir, 'fresh'));
    expect(store.health.conditions()).toEqual([]);
  });
});

describe('store faults', () => {
  it('classifies SQLite errors by their code', () => {
    const sqlite = (code: string): Error => Object.assign(new Error('x'), { code });
    expect(storeFaultOf(sqlite('SQLITE_FULL'))).toBe('store-full');
    expect(storeFaultOf(sqlite('SQLITE_BUSY'))).toBe('store-locked');
    expect(storeFaultOf(sqlite('SQLITE_BUSY_SNAPSHOT'))).toBe('store-locked');
    expect(storeFaultOf(sqlite('SQLITE_CORRUPT'))).toBe('store-corrupt');
    expect(storeFaultOf(sqlite('SQLITE_IOERR_WRITE'))).toBe('store-unavailable');
    expect(storeFaultOf(new RangeError('bad count'))).toBeUndefined();
  });

  it('turns a call on a closed store into store-unavailable', () => {
    store = openStudyStore(dir);
    store.close();
    expect(() => store?.get('1.2.3')).toThrow(StoreError);
    expect(store.health.conditions()).toMatchObject([{ code: 'store-unavailable', impact: 'unavailable' }]);
  });

  it('reports a lock held by another connection as store-locked within a few milliseconds, and clears it once free', () => {
    store = openStudyStore(dir);
    store.put(imagingStudy({ uid: '1.2.3' }));
    const other = new BetterSqlite3(store.path);
    other.exec('BEGIN EXCLUSIVE');
    const started = performance.now();
    expect(() => store?.setCursor('c', 1)).toThrow(expect.objectContaining({ code: 'store-locked' }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(store.health.conditions()).toMatchObject([{ code: 'store-locked' }]);
    other.exec('ROLLBACK');
    other.close();
    store.setCursor('c', 1);
    expect(store.health.conditions()).toEqual([]);
  });

  it('keeps store-full until a write succeeds, not a read', () => {
    store = openStudyStore(dir);
    store.health.failed(new StoreError('store-full', 'database or disk is full (SQLITE_FULL)'));
    store.get('1.2.3');
    expect(store.health.has('store-full')).toBe(true);
    store.setCursor('c', 2);
    expect(store.health.has('store-full')).toBe(false);
  });

  it('clears store-full from the readiness check by a probe write once the disk has room', () => {
    store = openStudyStore(dir);
    store.health.failed(new StoreError('store-full', 'database or disk is full (SQLITE_FULL)'));
    expect(storeReadiness(store)()).toEqual([]);
  });
});
