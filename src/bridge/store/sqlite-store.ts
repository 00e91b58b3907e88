/**
 * The embedded, durable study store (SPEC §4, Store): one SQLite file, written through
 * better-sqlite3 in WAL mode.
 *
 * Durability: `journal_mode=WAL` with `synchronous=FULL` fsyncs the WAL at every commit, so a
 * committed version, cursor or failure survives both a killed process and a power cut. NORMAL
 * would already survive `kill -9` (the WAL is in the OS cache), but could lose the last commits
 * on power loss while Orthanc's change-feed cursor had moved on. The fsync blocks the event loop
 * for milliseconds, so the sync service commits syncs that end together in one transaction
 * (`putSyncedMany`, see sync/group-commit.ts) rather than one each.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import type { FhirVersion, ImagingStudy } from '../../convert/options.js';
import { CONVERTER_OUTPUT_SCHEMA } from '../../convert/output-schema.js';
import type {
  HistoryPage,
  PutOptions,
  PutOutcome,
  SearchResult,
  StoredStudy,
  StoredStudyJson,
  StudySearch,
  StudyStore,
  SyncFailure,
  SyncReason,
} from '../types.js';
import { contentHash } from './canonical.js';
import { parseFhirDate, startedMatches, startedSortKey, type DatePrefix, type FhirDateValue } from './date-search.js';
import { extractIndexColumns } from './index-columns.js';
import { instanceIndexOfResource } from './instance-index.js';
import { buildSearchSql, DATE_MATCH_FUNCTION } from './search-sql.js';
import { searchTables } from './search-tables.js';
import { isStoreFault, StoreCorruptionError, StoreError, toStoreError } from './faults.js';
import { StoreHealth } from './health.js';
import { openDatabase } from './open-database.js';

export const STORE_FILE_NAME = 'dicom2fhir.sqlite';

/** A sync that was queued and has not finished yet. */
export interface PendingSync {
  studyInstanceUid: string;
  reason: SyncReason;
  queuedAt: string;
}

/**
 * The durable side of the sync queue: a study is written here when queued and removed when its
 * sync ends (stored, not found, or failed and recorded as a failure), so a study queued by the
 * change feed — whose cursor has already moved on — is still synced after a crash.
 */
export interface PendingSyncStore {
  /** Writes all in one transaction (one fsync), so queuing a whole reconciliation stays cheap. */
  addPending(studyInstanceUids: readonly string[], reason: SyncReason): void;
  removePending(studyInstanceUid: string): void;
  listPending(): PendingSync[];
  /**
   * The end of a successful sync in one transaction (one fsync): `put`, the study's recorded
   * failure cleared and, with `dequeue`, its stored queue entry removed — so it leaves the queue
   * exactly when its version is stored.
   */
  putSynced(studyInstanceUid: string, resource: ImagingStudy, options: { dequeue: boolean } & PutOptions): { outcome: PutOutcome; study: StoredStudy };
  /**
   * Several ends of syncs committed together (group commit): each as `putSynced`, in a savepoint
   * of its own, and one commit — one fsync — for all. A study the store refuses (an id conflict)
   * gets its error in its place and leaves the others; a store fault (full disk, lock, I/O)
   * throws, and none of them is stored.
   */
  putSyncedMany(studies: readonly SyncedStudy[]): SyncedOutcome[];
}

/** A finished sync for `putSyncedMany`. */
export interface SyncedStudy extends PutOptions {
  studyInstanceUid: string;
  resource: ImagingStudy;
  /** Remove the study's stored queue entry in the same transaction. */
  dequeue: boolean;
}

/** What `putSyncedMany` did with one study. */
export type SyncedOutcome = { ok: true; outcome: PutOutcome; study: StoredStudy } | { ok: false; error: unknown };

/** What reconciliation needs of every live study, read from index columns only (no JSON parsed). */
export interface StudySummary {
  studyInstanceUid: string;
  lastUpdated: string;
  started?: string;
}

/** The StudyStore plus what the bridge's other parts keep in the same database. */
export interface BridgeStore extends StudyStore, PendingSyncStore {
  /** Every non-deleted study, by Study Instance UID. */
  listStudySummaries(): StudySummary[];
  /** The open database, for tables other parts keep in the same file (the push outbox). */
  readonly database: Database;
  /** Absolute path of the SQLite file. */
  readonly path: string;
  /** Every version of a study, oldest first, tombstones included (for `_history`). */
  history(id: string): StoredStudy[];
  getFailure(studyInstanceUid: string): SyncFailure | undefined;
  /** Runs `work` in one transaction — one commit, one fsync, for every write it makes — or rolls all of it back when it throws. */
  inTransaction<T>(work: () => T): T;
  /** Remembers which Study Instance UID an Orthanc study id stands for (for deletions). */
  mapOrthancStudyId(orthancId: string, studyInstanceUid: string): void;
  /** `mapOrthancStudyId` for many pairs in one transaction (one fsync), as a page of the change log gives them. */
  mapOrthancStudyIds(pairs: ReadonlyArray<readonly [orthancId: string, studyInstanceUid: string]>): void;
  studyUidForOrthancId(orthancId: string): string | undefined;
  /** Faults met by the store's calls and corrupted studies, for `/readyz`; and the hook that re-syncs a corrupted study. */
  readonly health: StoreHealth;
  /** The FHIR version and converter output schema new versions are stored as. */
  readonly output: StoredOutput;
  /** Up to `limit` live studies made by another FHIR version or converter output schema (for re-conversion), by Study Instance UID. */
  listStaleStudies(limit: number): string[];
  /** How many live studies `listStaleStudies` would name. */
  countStaleStudies(): number;
  /**
   * A small write, tried while a full disk or a lock is reported, so that the condition clears
   * even when nothing else writes; throws `store-full` without writing while the file system has less than
   * 1 MiB free (a write into the WAL's existing pages could succeed on a full disk).
   */
  probeWrite(): void;
}

/** What made a stored version: the FHIR release and the converter's output schema number. */
export interface StoredOutput {
  fhirVersion: FhirVersion;
  converterSchema: number;
}

export interface OpenStudyStoreOptions {
  /** Clock for `meta.lastUpdated`; default the system clock. */
  now?: () => Date;
  /** What new versions are made by; default R4 and the current `CONVERTER_OUTPUT_SCHEMA`. Versions made otherwise read as `stale`. */
  output?: Partial<StoredOutput>;
}

interface StudyRow {
  id: string;
  study_uid: string;
  version_id: number;
  last_updated: string;
  deleted: number;
  content_hash: string | null;
  resource: string | null;
  checksum: number | null;
  fhir_version: string | null;
  converter_schema: number | null;
}

interface VersionRow {
  id: string;
  version_id: number;
  last_updated: string;
  deleted: number;
  resource: string | null;
  /** CRC-32 of the stored UTF-8 bytes of `resource`; null for versions stored before schema 2. */
  checksum: number | null;
  fhir_version: string | null;
  converter_schema: number | null;
}

/** Columns of `study_output` joined to a `studies` row (aliased `s`, `o`). */
const OUTPUT_COLUMNS = 'o.checksum AS checksum, o.fhir_version AS fhir_version, o.converter_schema AS converter_schema';
const WITH_OUTPUT = 'LEFT JOIN study_output o ON o.id = s.id';

/** Store methods that write; a success of one of them proves the disk has room again. */
const WRITE_METHODS = new Set([
  'put',
  'markDeleted',
  'setCursor',
  'recordFailure',
  'clearFailure',
  'addPending',
  'removePending',
  'putSynced',
  'putSyncedMany',
  'inTransaction',
  'mapOrthancStudyId',
  'mapOrthancStudyIds',
  'probeWrite',
]);

/** Free bytes the file system must have before `probeWrite` is tried. */
const PROBE_MIN_FREE_BYTES = 1024 * 1024;

interface FailureRow {
  study_uid: string;
  attempts: number;
  last_error: string;
  last_attempt_at: string;
  next_attempt_at: string | null;
}


/** Throws `StoreCorruptionError` when the bytes are not the ones whose checksum was stored. */
function verifyChecksum(row: Pick<VersionRow, 'id' | 'version_id' | 'checksum'> & { study_uid: string }, bytes: string | Buffer): void {
  if (row.checksum !== null && crc32(bytes) !== row.checksum) {
    throw new StoreCorruptionError(row.id, row.study_uid, row.version_id, 'its bytes do not match their checksum');
  }
}

function isCurrent(row: Pick<VersionRow, 'fhir_version' | 'converter_schema'>, output: StoredOutput): boolean {
  return row.fhir_version === output.fhirVersion && row.converter_schema === output.converterSchema;
}

/** The stored version, checked against its checksum; a parse error names the study, never the text. */
function toStored(row: VersionRow & { study_uid: string }, output: StoredOutput): StoredStudy {
  const study: StoredStudy = {
    id: row.id,
    studyInstanceUid: row.study_uid,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted === 1,
  };
  if (row.resource !== null) {
    verifyChecksum(row, row.resource);
    try {
      study.resource = JSON.parse(row.resource) as ImagingStudy;
    } catch {
      // The SyntaxError's message quotes the text: replaced by one that does not.
      throw new StoreCorruptionError(row.id, row.study_uid, row.version_id, 'its stored JSON does not parse');
    }
    if (!isCurrent(row, output)) study.stale = true;
  }
  return study;
}

/**
 * Every method of `api` reporting to `health`: a StoreError (the SQLite error classified, see
 * faults.ts) is recorded and thrown; a success clears the faults it disproves.
 */
function instrument<T extends object>(api: T, health: StoreHealth): T {
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'function' || name === 'close') continue;
    const kind = WRITE_METHODS.has(name) ? 'write' : 'read';
    const method = value as (...args: unknown[]) => unknown;
    (api as Record<string, unknown>)[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method(...args);
      } catch (error) {
        const storeError = toStoreError(error);
        if (storeError instanceof StoreError) health.failed(storeError);
        throw storeError;
      }
      health.succeeded(kind);
      return result;
    };
  }
  return api;
}

function toFailure(row: FailureRow): SyncFailure {
  const failure: SyncFailure = {
    studyInstanceUid: row.study_uid,
    attempts: row.attempts,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at,
  };
  if (row.next_attempt_at !== null) failure.nextAttemptAt = row.next_attempt_at;
  return failure;
}

/** The resource with the store's `meta.versionId` / `meta.lastUpdated` (FHIR R4 §2.37 Meta). */
function withMeta(resource: ImagingStudy, versionId: number, lastUpdated: string): ImagingStudy {
  const { resourceType, id, meta, ...rest } = resource;
  return { resourceType, id, meta: { ...meta, versionId: String(versionId), lastUpdated }, ...rest } as ImagingStudy;
}

/** Opens (creating when needed) `<dataDir>/dicom2fhir.sqlite`; the directory is created too. */
export function openStudyStore(dataDir: string, options: OpenStudyStoreOptions = {}): BridgeStore {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, STORE_FILE_NAME);
  const { db, integrityProblems } = openDatabase(path);
  const health = new StoreHealth();
  if (integrityProblems !== undefined) health.integrityFailed(integrityProblems);
  const now = options.now ?? (() => new Date());
  const output: StoredOutput = { fhirVersion: options.output?.fhirVersion ?? 'R4', converterSchema: options.output?.converterSchema ?? CONVERTER_OUTPUT_SCHEMA };

  const parsedSearchValues = new Map<string, FhirDateValue>();
  db.function(DATE_MATCH_FUNCTION, { deterministic: true }, (started: unknown, prefix: unknown, value: unknown) => {
    const text = String(value);
    let parsed = parsedSearchValues.get(text);
    if (parsed === undefined) {
      parsed = parseFhirDate(text);
      if (parsed === undefined) return 0;
      parsedSearchValues.set(text, parsed);
    }
    return startedMatches(typeof started === 'string' ? started : undefined, prefix as DatePrefix, parsed) ? 1 : 0;
  });

  const selectById = db.prepare<[string], StudyRow>(`SELECT s.*, ${OUTPUT_COLUMNS} FROM studies s ${WITH_OUTPUT} WHERE s.id = ?`);
  const selectByUid = db.prepare<[string], StudyRow>(`SELECT s.*, ${OUTPUT_COLUMNS} FROM studies s ${WITH_OUTPUT} WHERE s.study_uid = ?`);
  // As a BLOB the text comes back as its UTF-8 bytes, several times faster than as a JavaScript string.
  const selectJsonById = db.prepare<
    [string],
    Pick<StudyRow, 'study_uid' | 'version_id' | 'last_updated' | 'deleted' | 'checksum' | 'fhir_version' | 'converter_schema'> & { resource: Buffer | null }
  >(
    `SELECT s.study_uid, s.version_id, s.last_updated, s.deleted, CAST(s.resource AS BLOB) AS resource, ${OUTPUT_COLUMNS}
     FROM studies s ${WITH_OUTPUT} WHERE s.id = ?`,
  );
  const upsertOutput = db.prepare(
    `INSERT INTO study_output (id, checksum, fhir_version, converter_schema) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET checksum = excluded.checksum, fhir_version = excluded.fhir_version, converter_schema = excluded.converter_schema`,
  );
  const deleteOutput = db.prepare('DELETE FROM study_output WHERE id = ?');
  const rewriteResource = db.prepare('UPDATE studies SET resource = ? WHERE id = ?');
  const rewriteVersion = db.prepare('UPDATE study_versions SET resource = ?, checksum = ? WHERE id = ? AND version_id = ?');
  const restampVersion = db.prepare('UPDATE study_versions SET fhir_version = ?, converter_schema = ? WHERE id = ? AND version_id = ?');
  const staleWhere = `s.deleted = 0 AND NOT EXISTS (SELECT 1 FROM study_output o WHERE o.id = s.id AND o.fhir_version = ? AND o.converter_schema = ?)`;
  const selectStale = db.prepare<[string, number, number], { study_uid: string }>(
    `SELECT s.study_uid FROM studies s WHERE ${staleWhere} ORDER BY s.last_updated DESC, s.study_uid LIMIT ?`,
  );
  const countStale = db.prepare<[string, number], { n: number }>(`SELECT COUNT(*) AS n FROM studies s WHERE ${staleWhere}`);
  const upsertProbe = db.prepare("INSERT INTO cursors (name, value) VALUES ('store-write-probe', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  // Reads the columns before `resource` only: no overflow page of the JSON is touched.
  const selectVersionById = db.prepare<[string], Pick<StudyRow, 'version_id' | 'deleted'>>('SELECT version_id, deleted FROM studies WHERE id = ?');
  const upsertStudy = db.prepare(
    `INSERT INTO studies (id, study_uid, version_id, last_updated, deleted, content_hash, resource, started, started_sort)
     VALUES (@id, @studyUid, @versionId, @lastUpdated, @deleted, @hash, @resource, @started, @startedSort)
     ON CONFLICT (id) DO UPDATE SET study_uid = excluded.study_uid, version_id = excluded.version_id,
       last_updated = excluded.last_updated, deleted = excluded.deleted, content_hash = excluded.content_hash,
       resource = excluded.resource, started = excluded.started, started_sort = excluded.started_sort`,
  );
  const insertVersion = db.prepare(
    `INSERT INTO study_versions (id, version_id, last_updated, deleted, resource, checksum, fhir_version, converter_schema)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const deleteIdentifiers = db.prepare('DELETE FROM study_identifiers WHERE study_id = ?');
  const insertIdentifier = db.prepare('INSERT INTO study_identifiers (study_id, system, value) VALUES (?, ?, ?)');
  const deleteModalities = db.prepare('DELETE FROM study_modalities WHERE study_id = ?');
  const insertModality = db.prepare('INSERT OR IGNORE INTO study_modalities (study_id, code) VALUES (?, ?)');
  const selectHistory = db.prepare<[string], VersionRow & { study_uid: string }>(
    `SELECT v.id, v.version_id, v.last_updated, v.deleted, v.resource, v.checksum, v.fhir_version, v.converter_schema, s.study_uid
     FROM study_versions v JOIN studies s ON s.id = v.id WHERE v.id = ? ORDER BY v.version_id`,
  );
  const selectVersion = db.prepare<[string, number], VersionRow & { study_uid: string }>(
    `SELECT v.id, v.version_id, v.last_updated, v.deleted, v.resource, v.checksum, v.fhir_version, v.converter_schema, s.study_uid
     FROM study_versions v JOIN studies s ON s.id = v.id WHERE v.id = ? AND v.version_id = ?`,
  );
  const countHistory = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM study_versions WHERE id = ? AND last_updated >= ?');
  const selectHistoryPage = db.prepare<[string, string, number, number], VersionRow & { study_uid: string }>(
    `SELECT v.id, v.version_id, v.last_updated, v.deleted, v.resource, v.checksum, v.fhir_version, v.converter_schema, s.study_uid
     FROM study_versions v JOIN studies s ON s.id = v.id WHERE v.id = ? AND v.last_updated >= ?
     ORDER BY v.version_id DESC LIMIT ? OFFSET ?`,
  );
  const tables = searchTables(db);
  const selectLiveUids = db.prepare<[], { study_uid: string }>('SELECT study_uid FROM studies WHERE deleted = 0 ORDER BY study_uid');
  const selectSummaries = db.prepare<[], { study_uid: string; last_updated: string; started: string | null }>(
    'SELECT study_uid, last_updated, started FROM studies WHERE deleted = 0 ORDER BY study_uid',
  );
  const selectCursor = db.prepare<[string], { value: number }>('SELECT value FROM cursors WHERE name = ?');
  const upsertCursor = db.prepare('INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
  const upsertFailure = db.prepare(
    `INSERT INTO sync_failures (study_uid, attempts, last_error, last_attempt_at, next_attempt_at)
     VALUES (@studyInstanceUid, @attempts, @lastError, @lastAttemptAt, @nextAttemptAt)
     ON CONFLICT (study_uid) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
       last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at`,
  );
  const deleteFailure = db.prepare('DELETE FROM sync_failures WHERE study_uid = ?');
  const selectFailures = db.prepare<[], FailureRow>('SELECT * FROM sync_failures ORDER BY study_uid');
  const selectFailure = db.prepare<[string], FailureRow>('SELECT * FROM sync_failures WHERE study_uid = ?');
  const upsertPending = db.prepare(
    'INSERT INTO sync_queue (study_uid, reason, queued_at) VALUES (?, ?, ?) ON CONFLICT (study_uid) DO UPDATE SET reason = excluded.reason',
  );
  const deletePending = db.prepare('DELETE FROM sync_queue WHERE study_uid = ?');
  const selectPending = db.prepare<[], { study_uid: string; reason: string; queued_at: string }>(
    'SELECT * FROM sync_queue ORDER BY queued_at, study_uid',
  );
  const upsertOrthancId = db.prepare(
    'INSERT INTO orthanc_studies (orthanc_id, study_uid) VALUES (?, ?) ON CONFLICT (orthanc_id) DO UPDATE SET study_uid = excluded.study_uid',
  );
  const selectOrthancId = db.prepare<[string], { study_uid: string }>('SELECT study_uid FROM orthanc_studies WHERE orthanc_id = ?');

  const put = db.transaction((resource: ImagingStudy, options: PutOptions = {}): { outcome: PutOutcome; study: StoredStudy } => {
    if (typeof resource.id !== 'string' || resource.id === '') throw new TypeError('ImagingStudy has no id');
    const id = resource.id;
    const columns = extractIndexColumns(resource);
    const hash = contentHash(resource);
    const existing = selectById.get(id);
    const sameUid = selectByUid.get(columns.studyInstanceUid);
    if (sameUid !== undefined && sameUid.id !== id) {
      throw new Error(`study ${columns.studyInstanceUid} is already stored under id ${sameUid.id}, not ${id} (was the id strategy changed?)`);
    }
    if (existing !== undefined && existing.deleted === 0 && existing.content_hash === hash) {
      if (options.instances !== undefined && tables.instanceCount(id) !== options.instances.length) tables.writeInstances(id, options.instances);
      const sound = existing.resource !== null && existing.checksum !== null && crc32(existing.resource) === existing.checksum;
      if (sound && isCurrent(existing, output)) return { outcome: 'unchanged', study: toStored(existing, output) };
      // The same content: the version stays, its bytes are written again (repairing a corrupted
      // copy, checksumming a copy stored before checksums) and its making is stamped as current.
      const text = JSON.stringify(withMeta(resource, existing.version_id, existing.last_updated));
      const checksum = crc32(text);
      rewriteResource.run(text, id);
      rewriteVersion.run(text, checksum, id, existing.version_id);
      restampVersion.run(output.fhirVersion, output.converterSchema, id, existing.version_id);
      upsertOutput.run(id, checksum, output.fhirVersion, output.converterSchema);
      health.repaired(id);
      const rewritten = { ...existing, resource: text, checksum, fhir_version: output.fhirVersion, converter_schema: output.converterSchema };
      return { outcome: 'unchanged', study: toStored(rewritten, output) };
    }
    const versionId = (existing?.version_id ?? 0) + 1;
    const lastUpdated = now().toISOString();
    const stored = JSON.stringify(withMeta(resource, versionId, lastUpdated));
    const checksum = crc32(stored);
    upsertStudy.run({
      id,
      studyUid: columns.studyInstanceUid,
      versionId,
      lastUpdated,
      deleted: 0,
      hash,
      resource: stored,
      started: columns.started ?? null,
      startedSort: startedSortKey(columns.started),
    });
    insertVersion.run(id, versionId, lastUpdated, 0, stored, checksum, output.fhirVersion, output.converterSchema);
    upsertOutput.run(id, checksum, output.fhirVersion, output.converterSchema);
    health.repaired(id);
    deleteIdentifiers.run(id);
    for (const identifier of columns.identifiers) insertIdentifier.run(id, identifier.system, identifier.value);
    deleteModalities.run(id);
    for (const code of columns.modalities) insertModality.run(id, code);
    tables.writeResource(id, resource);
    tables.writeInstances(id, options.instances ?? instanceIndexOfResource(resource));
    // A study that comes back after a delete is a new resource lifetime (FHIR R4 §3.1.0.4.1: update of a deleted resource creates it).
    const outcome: PutOutcome = existing === undefined || existing.deleted === 1 ? 'created' : 'updated';
    const row = { id, study_uid: columns.studyInstanceUid, version_id: versionId, last_updated: lastUpdated, deleted: 0, resource: stored };
    return { outcome, study: toStored({ ...row, checksum, fhir_version: output.fhirVersion, converter_schema: output.converterSchema }, output) };
  });

  const putSynced = db.transaction((uid: string, resource: ImagingStudy, dequeue: boolean, options: PutOptions): { outcome: PutOutcome; study: StoredStudy } => {
    const result = put(resource, options);
    deleteFailure.run(uid);
    if (dequeue) deletePending.run(uid);
    return result;
  });

  const putSyncedMany = db.transaction((studies: readonly SyncedStudy[]): SyncedOutcome[] =>
    studies.map(({ studyInstanceUid, resource, dequeue, ...options }): SyncedOutcome => {
      try {
        // Nested in this transaction, `putSynced` is a savepoint: a refused study is rolled back alone.
        return { ok: true, ...putSynced(studyInstanceUid, resource, dequeue, options) };
      } catch (error) {
        // After a store fault SQLite may have rolled the whole transaction back: nothing of the group is kept.
        if (isStoreFault(error)) throw error;
        return { ok: false, error };
      }
    }),
  );

  const addPending = db.transaction((uids: readonly string[], reason: SyncReason): void => {
    const at = now().toISOString();
    for (const uid of uids) upsertPending.run(uid, reason, at);
  });

  const mapOrthancStudyIds = db.transaction((pairs: ReadonlyArray<readonly [string, string]>): void => {
    for (const [orthancId, studyInstanceUid] of pairs) upsertOrthancId.run(orthancId, studyInstanceUid);
  });

  const markDeleted = db.transaction((studyInstanceUid: string): boolean => {
    const existing = selectByUid.get(studyInstanceUid);
    if (existing === undefined || existing.deleted === 1) return false;
    const versionId = existing.version_id + 1;
    const lastUpdated = now().toISOString();
    upsertStudy.run({
      id: existing.id,
      studyUid: studyInstanceUid,
      versionId,
      lastUpdated,
      deleted: 1,
      hash: null,
      resource: null,
      started: null,
      startedSort: null,
    });
    insertVersion.run(existing.id, versionId, lastUpdated, 1, null, null, null, null);
    deleteOutput.run(existing.id);
    health.repaired(existing.id);
    deleteIdentifiers.run(existing.id);
    deleteModalities.run(existing.id);
    tables.clear(existing.id);
    return true;
  });

  function search(query: StudySearch): SearchResult {
    const built = buildSearchSql(query);
    // A study made by another FHIR version or converter schema is left out until re-converted.
    const where = `${built.where} AND EXISTS (SELECT 1 FROM study_output c WHERE c.id = s.id AND c.fhir_version = ? AND c.converter_schema = ?)`;
    const params = [...built.params, output.fhirVersion, output.converterSchema];
    const orderBy = built.orderBy;
    const toCurrent = (row: StudyRow): StoredStudy => toStored(row, output);
    const select = (limit: number): StudyRow[] =>
      limit === 0
        ? []
        : (db
            .prepare(`SELECT s.*, ${OUTPUT_COLUMNS} FROM studies s ${WITH_OUTPUT} WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`)
            .all(...params, limit, query.offset) as StudyRow[]);
    if (query.total === false) {
      // One row beyond the page says whether a next page exists, without counting every match.
      const rows = select(query.count + 1);
      return { more: rows.length > query.count, studies: rows.slice(0, query.count).map(toCurrent) };
    }
    const total = (db.prepare(`SELECT COUNT(*) AS n FROM studies s WHERE ${where}`).get(...params) as { n: number }).n;
    return { total, studies: select(query.count).map(toCurrent) };
  }

  const api: BridgeStore = {
    database: db,
    path,
    health,
    output,
    put: (resource, options) => put(resource, options),
    get(id) {
      const row = selectById.get(id);
      return row === undefined ? undefined : toStored(row, output);
    },
    getJson(id) {
      const row = selectJsonById.get(id);
      if (row === undefined) return undefined;
      const study: StoredStudyJson = { id, versionId: row.version_id, lastUpdated: row.last_updated, deleted: row.deleted === 1 };
      if (row.resource !== null) {
        verifyChecksum({ ...row, id }, row.resource);
        study.json = row.resource;
        if (!isCurrent(row, output)) study.stale = true;
      }
      return study;
    },
    getVersion(id) {
      const row = selectVersionById.get(id);
      return row === undefined ? undefined : { versionId: row.version_id, deleted: row.deleted === 1 };
    },
    getByStudyInstanceUid(uid) {
      const row = selectByUid.get(uid);
      return row === undefined ? undefined : toStored(row, output);
    },
    markDeleted: (uid) => markDeleted(uid),
    search,
    listStudyInstanceUids: () => selectLiveUids.all().map((row) => row.study_uid),
    listStudySummaries: () =>
      selectSummaries.all().map((row) => {
        const summary: StudySummary = { studyInstanceUid: row.study_uid, lastUpdated: row.last_updated };
        if (row.started !== null) summary.started = row.started;
        return summary;
      }),
    history: (id) => selectHistory.all(id).map((row) => toStored(row, output)),
    historyPage(id, { count, offset, since }) {
      const from = since ?? '';
      const total = countHistory.get(id, from)?.n ?? 0;
      return { total, versions: count === 0 || total === 0 ? [] : selectHistoryPage.all(id, from, count, offset).map((row) => toStored(row, output)) };
    },
    getVersionOf(id, versionId) {
      const row = selectVersion.get(id, versionId);
      return row === undefined ? undefined : toStored(row, output);
    },
    getCursor: (name) => selectCursor.get(name)?.value,
    setCursor(name, value) {
      if (!Number.isSafeInteger(value)) throw new RangeError(`cursor ${name} must be an integer, got ${value}`);
      upsertCursor.run(name, value);
    },
    recordFailure(failure) {
      upsertFailure.run({ ...failure, nextAttemptAt: failure.nextAttemptAt ?? null });
    },
    clearFailure(uid) {
      deleteFailure.run(uid);
    },
    listFailures: () => selectFailures.all().map(toFailure),
    getFailure(uid) {
      const row = selectFailure.get(uid);
      return row === undefined ? undefined : toFailure(row);
    },
    addPending: (uids, reason) => addPending(uids, reason),
    removePending(uid) {
      deletePending.run(uid);
    },
    putSynced: (uid, resource, { dequeue, ...options }) => putSynced(uid, resource, dequeue, options),
    putSyncedMany: (studies) => putSyncedMany(studies),
    listPending: () =>
      selectPending.all().map((row) => ({ studyInstanceUid: row.study_uid, reason: row.reason as SyncReason, queuedAt: row.queued_at })),
    mapOrthancStudyId(orthancId, studyInstanceUid) {
      upsertOrthancId.run(orthancId, studyInstanceUid);
    },
    mapOrthancStudyIds: (pairs) => mapOrthancStudyIds(pairs),
    inTransaction: <T>(work: () => T): T => db.transaction(work)(),
    studyUidForOrthancId: (orthancId) => selectOrthancId.get(orthancId)?.study_uid,
    listStaleStudies: (limit) => selectStale.all(output.fhirVersion, output.converterSchema, limit).map((row) => row.study_uid),
    countStaleStudies: () => countStale.get(output.fhirVersion, output.converterSchema)?.n ?? 0,
    probeWrite() {
      const { bavail, bsize } = statfsSync(dataDir);
      const free = bavail * bsize;
      if (free < PROBE_MIN_FREE_BYTES) throw new StoreError('store-full', `${free} bytes free in DATA_DIR`);
      upsertProbe.run(Date.now());
    },
    ping() {
      db.prepare('SELECT 1 FROM studies LIMIT 1').get();
    },
    close() {
      if (db.open) db.close();
    },
  };
  return instrument(api, health);
}
