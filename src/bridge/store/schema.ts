/**
 * The store's SQLite schema. Current versions, every past version (for a later `_history`),
 * search index rows extracted at write time, the change-feed cursors, recorded sync failures and
 * the syncs queued but not yet done, and the Orthanc study id → Study Instance UID map (needed because a deleted study can no longer be
 * looked up in Orthanc).
 */
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

const DDL = `
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

/** Creates the tables of a new database; refuses a database written by a newer schema. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`store schema version ${current} is newer than this program supports (${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
