import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imagingStudy } from '../../../test/support/studies.js';
import { migrate, SCHEMA_VERSION, STORE_APPLICATION_ID } from './schema.js';
import { openStudyStore, STORE_FILE_NAME, type BridgeStore } from './sqlite-store.js';

let dir: string;
let store: BridgeStore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-output-'));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const all = { count: 100, offset: 0 };

describe('what made each stored version', () => {
  it('reads a version made by another FHIR version as stale, leaves it out of search, and lists it for re-conversion', () => {
    const r5 = openStudyStore(dir, { output: { fhirVersion: 'R5' } });
    r5.put(imagingStudy({ uid: '1.2.3' }));
    r5.put(imagingStudy({ uid: '1.2.4' }));
    expect(r5.search(all).total).toBe(2);
    r5.close();

    store = openStudyStore(dir, { output: { fhirVersion: 'R4' } });
    expect(store.get('1.2.3')?.stale).toBe(true);
    expect(store.getJson('1.2.3')?.stale).toBe(true);
    expect(store.search(all).total).toBe(0);
    expect(store.countStaleStudies()).toBe(2);
    expect(store.listStaleStudies(1)).toHaveLength(1);

    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3', description: 'as R4' }));
    expect([outcome, study.versionId, study.stale]).toEqual(['updated', 2, undefined]);
    expect(store.search(all).studies.map((s) => s.id)).toEqual(['1.2.3']);
    expect(store.listStaleStudies(10)).toEqual(['1.2.4']);
    expect(store.history('1.2.3').map((v) => v.stale)).toEqual([true, undefined]);
  });

  it('restamps a version of unchanged content made by an older converter schema, without a new version', () => {
    const old = openStudyStore(dir, { output: { converterSchema: 0 } });
    old.put(imagingStudy({ uid: '1.2.3' }));
    old.close();
    store = openStudyStore(dir);
    expect(store.get('1.2.3')?.stale).toBe(true);
    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3' }));
    expect([outcome, study.versionId, study.stale]).toEqual(['unchanged', 1, undefined]);
    expect(store.countStaleStudies()).toBe(0);
  });
});

describe('upgrade of a schema version 1 store', () => {
  /** A store as the version-1 program left it: rows written with its own statements. */
  function versionOneStore(): void {
    const db = new BetterSqlite3(join(dir, STORE_FILE_NAME));
    db.pragma('journal_mode = WAL');
    migrate(db, 1);
    const resource = JSON.stringify({ ...imagingStudy({ uid: '1.2.3', accession: 'A1' }), meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } });
    db.prepare(
      `INSERT INTO studies (id, study_uid, version_id, last_updated, deleted, content_hash, resource, started, started_sort)
       VALUES ('1.2.3', '1.2.3', 1, '2024-01-01T00:00:00.000Z', 0, 'old-hash', ?, NULL, NULL)`,
    ).run(resource);
    db.prepare("INSERT INTO study_versions (id, version_id, last_updated, deleted, resource) VALUES ('1.2.3', 1, '2024-01-01T00:00:00.000Z', 0, ?)").run(resource);
    db.prepare("INSERT INTO study_identifiers (study_id, system, value) VALUES ('1.2.3', 'urn:dicom:uid', 'urn:oid:1.2.3'), ('1.2.3', '', 'A1')").run();
    db.prepare("INSERT INTO sync_queue (study_uid, reason, queued_at) VALUES ('1.2.9', 'changes', '2024-01-01T00:00:00.000Z')").run();
    db.close();
  }

  it('migrates in place, keeps every row, marks the file as a dicom2fhir store and its studies for re-conversion', () => {
    versionOneStore();
    store = openStudyStore(dir);
    expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.database.pragma('application_id', { simple: true })).toBe(STORE_APPLICATION_ID);
    expect(store.listPending().map((p) => p.studyInstanceUid)).toEqual(['1.2.9']);
    const study = store.get('1.2.3');
    expect([study?.versionId, study?.stale, study?.resource?.id]).toEqual([1, true, '1.2.3']);
    expect(store.listStaleStudies(10)).toEqual(['1.2.3']);
    expect(store.search({ identifier: { value: 'A1' }, ...all }).total).toBe(0);
  });

  it('serves the study in search again once it is converted by this version, with a checksum', () => {
    versionOneStore();
    store = openStudyStore(dir);
    const { outcome, study } = store.put(imagingStudy({ uid: '1.2.3', accession: 'A1' }));
    expect([outcome, study.versionId, study.stale]).toEqual(['updated', 2, undefined]);
    expect(store.search({ identifier: { value: 'A1' }, ...all }).total).toBe(1);
    const checksum = store.database.prepare<[], { checksum: number | null }>("SELECT checksum FROM study_output WHERE id = '1.2.3'").get();
    expect(typeof checksum?.checksum).toBe('number');
  });
});
