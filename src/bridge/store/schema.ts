/**
 * The store's SQLite schema, as numbered forward migrations (SPEC §4, Store). A database records
 * the last migration applied in `user_version`; at open, every later migration runs, each in its
 * own transaction, in order. A store is never replaced or rebuilt: a migration only adds to what
 * is there (or rewrites rows in place), and a database written by a newer program is refused.
 *
 * To change the schema, add a migration at the end of `MIGRATIONS` with the next number, and a
 * test that opens a store of every earlier version (`migrate(db, olderVersion)` builds one).
 */
import type { Database } from 'better-sqlite3';
import type { ImagingStudy } from '../../convert/options.js';
import { instanceIndexOfResource } from './instance-index.js';
import { searchTables } from './search-tables.js';

export interface Migration {
  /** 1, 2, 3…: the `user_version` the database has once this migration ran. */
  readonly version: number;
  /** What it changes, in a few words (shown when a migration fails). */
  readonly description: string;
  up(db: Database): void;
}

/**
 * Version 1: current versions, every past version (for `_history`), search index rows extracted
 * at write time, the change-feed cursors, recorded sync failures and the syncs queued but not yet
 * done, and the Orthanc study id → Study Instance UID map (needed because a deleted study can no
 * longer be looked up in Orthanc).
 */
const INITIAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS studies (
  id TEXT PRIMARY KEY,
  study_uid TEXT NOT NULL UNIQUE,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content_hash TEXT,
  started TEXT,
  started_sort TEXT,
  -- Last, so filtering and sorting on the columns above never walks the large JSON's overflow pages.
  resource TEXT
);
CREATE INDEX IF NOT EXISTS studies_sort ON studies (deleted, started_sort DESC, id);

CREATE TABLE IF NOT EXISTS study_versions (
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  resource TEXT,
  PRIMARY KEY (id, version_id)
);

CREATE TABLE IF NOT EXISTS study_identifiers (
  study_id TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS study_identifiers_value ON study_identifiers (value);
CREATE INDEX IF NOT EXISTS study_identifiers_study ON study_identifiers (study_id);

CREATE TABLE IF NOT EXISTS study_modalities (
  study_id TEXT NOT NULL,
  code TEXT NOT NULL,
  PRIMARY KEY (study_id, code)
);
CREATE INDEX IF NOT EXISTS study_modalities_code ON study_modalities (code);

CREATE TABLE IF NOT EXISTS cursors (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS sync_failures (
  study_uid TEXT PRIMARY KEY,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  last_attempt_at TEXT NOT NULL,
  next_attempt_at TEXT
);

CREATE TABLE IF NOT EXISTS sync_queue (
  study_uid TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  queued_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS orthanc_studies (
  orthanc_id TEXT PRIMARY KEY,
  study_uid TEXT NOT NULL
);
`;

/**
 * Version 2: the tables of the FHIR search parameters (`search-index.ts`): token rows
 * `(param, system, code)`, string rows for string-like searches, the parameters whose element a
 * study has (`:missing`), and the instance index (`instance-index.ts`) kept apart from the
 * resource; plus an index for `_lastUpdated`.
 */
const SEARCH_TABLES = `
CREATE TABLE IF NOT EXISTS study_tokens (
  study_id TEXT NOT NULL,
  param TEXT NOT NULL,
  system TEXT NOT NULL,
  code TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS study_tokens_code ON study_tokens (param, code);
CREATE INDEX IF NOT EXISTS study_tokens_study ON study_tokens (study_id);

CREATE TABLE IF NOT EXISTS study_strings (
  study_id TEXT NOT NULL,
  param TEXT NOT NULL,
  value TEXT NOT NULL,
  normalized TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS study_strings_study ON study_strings (study_id);

CREATE TABLE IF NOT EXISTS study_elements (
  study_id TEXT NOT NULL,
  param TEXT NOT NULL,
  PRIMARY KEY (study_id, param)
);
CREATE INDEX IF NOT EXISTS study_elements_param ON study_elements (param);

CREATE TABLE IF NOT EXISTS study_instances (
  study_id TEXT NOT NULL,
  series_uid TEXT NOT NULL,
  sop_instance_uid TEXT NOT NULL,
  sop_class_uid TEXT
);
CREATE INDEX IF NOT EXISTS study_instances_uid ON study_instances (sop_instance_uid);
CREATE INDEX IF NOT EXISTS study_instances_class ON study_instances (sop_class_uid);
CREATE INDEX IF NOT EXISTS study_instances_study ON study_instances (study_id);

CREATE INDEX IF NOT EXISTS studies_last_updated ON studies (deleted, last_updated);
`;

/**
 * Fills the search tables of every live study of an existing store from its stored resource.
 * The instance index gets what the resource's instance lists hold; a study stored without them
 * gets its instances at its next sync.
 */
function backfillSearchTables(db: Database): void {
  const tables = searchTables(db);
  // Pages of 100 by id: no open cursor while writing, and never every resource in memory at once.
  const page = db.prepare<[string], { id: string; resource: string }>(
    'SELECT id, resource FROM studies WHERE deleted = 0 AND resource IS NOT NULL AND id > ? ORDER BY id LIMIT 100',
  );
  let after = '';
  for (let rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    for (const row of rows) {
      const resource = JSON.parse(row.resource) as ImagingStudy;
      tables.writeResource(row.id, resource);
      tables.writeInstances(row.id, instanceIndexOfResource(resource));
      after = row.id;
    }
  }
}

/** `PRAGMA application_id` of a dicom2fhir store ("d2fh"), so another program's SQLite file is never taken for one. */
export const STORE_APPLICATION_ID = 0x64326668;

/**
 * Version 3: what made each stored version and a checksum of its bytes. `study_output` holds, per
 * study, the CRC-32 of the current version's stored JSON and the FHIR version and converter
 * output schema that produced it — a table of its own, because columns appended to `studies`
 * would sit after the large `resource` and cost a walk of its overflow pages on every filter.
 * Past versions carry the same three values in columns of their own. Studies stored before
 * (no `study_output` row) are of unknown making: the bridge re-converts them.
 */
const OUTPUT_AND_CHECKSUM = `
CREATE TABLE IF NOT EXISTS study_output (
  id TEXT PRIMARY KEY,
  checksum INTEGER NOT NULL,
  fhir_version TEXT NOT NULL,
  converter_schema INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS study_output_made_by ON study_output (fhir_version, converter_schema);
ALTER TABLE study_versions ADD COLUMN checksum INTEGER;
ALTER TABLE study_versions ADD COLUMN fhir_version TEXT;
ALTER TABLE study_versions ADD COLUMN converter_schema INTEGER;
`;

/**
 * The push outbox (SPEC §4 Push, §2.7). Earlier releases created these tables at run time, in this
 * shape, so they may exist already: they are created if absent, then extended. Each row gets a
 * time before which it is not retried (per-study backoff: one failing study never delays the
 * others), the reason it is parked, and whether a person confirmed a change of the study's patient.
 * Bundles queued before were built under older identity rules (a bare Patient ID as match key, a
 * Patient overwritten by a conditional update, Practitioners matched by name): they are never
 * sent; the row is kept and its Bundle rebuilt from the stored study when it is sent.
 */
const PUSH_OUTBOX = `
CREATE TABLE IF NOT EXISTS push_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  study_instance_uid TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete')),
  version_id INTEGER,
  bundle TEXT,
  enqueued_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_attempt_at TEXT,
  failed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS push_outbox_study ON push_outbox (study_instance_uid);
CREATE TABLE IF NOT EXISTS push_queued (
  study_instance_uid TEXT PRIMARY KEY,
  version_id INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS push_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
ALTER TABLE push_outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE push_outbox ADD COLUMN reason TEXT;
ALTER TABLE push_outbox ADD COLUMN allow_subject_change INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS push_outbox_due ON push_outbox (failed, next_attempt_at, seq);
UPDATE push_outbox SET bundle = NULL, failed = 0, attempts = 0, last_error = NULL WHERE kind = 'upsert';
`;

/** Every migration, oldest first; numbers are consecutive from 1. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'initial schema', up: (db) => db.exec(INITIAL_SCHEMA) },
  {
    version: 2,
    description: 'search parameter tables and instance index, filled for existing studies',
    up(db) {
      db.exec(SEARCH_TABLES);
      backfillSearchTables(db);
    },
  },
  {
    version: 3,
    description: 'checksum, FHIR version and converter output schema of each stored version',
    up: (db) => {
      db.exec(OUTPUT_AND_CHECKSUM);
      db.pragma(`application_id = ${STORE_APPLICATION_ID}`);
    },
  },
  {
    version: 4,
    description: 'push outbox under the migrations, per-study backoff and refusal reasons; queued Bundles rebuilt under the identity rules',
    up: (db) => db.exec(PUSH_OUTBOX),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to `target` (default: the latest version) by running every migration after
 * its `user_version`; refuses a database written by a newer schema. Tests pass an older `target`
 * to build a store as an earlier release left it.
 */
export function migrate(db: Database, target: number = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`store schema version ${current} is newer than this program supports (${SCHEMA_VERSION})`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
