/**
 * Opens the store's SQLite file — only if it is a dicom2fhir store or nothing yet. A store is never
 * replaced: an empty file (a failed copy, a truncated restore), a file that is not SQLite, or
 * another application's database at the store's path is refused with a message that says what
 * was found, and is left exactly as it was. A new store is created only where no file exists.
 *
 * The connection waits at most `BUSY_TIMEOUT_MS` for a lock held by another process: SQLite's
 * busy wait is synchronous, so a longer one would freeze the event loop (and `/healthz`) for as
 * long as the lock is held. A call that meets a held lock fails as `store-locked`, and its caller
 * retries later (sync retries, the next change-feed poll, a 503 to an HTTP client).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StoreRefusedError } from './faults.js';
import { migrate, STORE_APPLICATION_ID } from './schema.js';

/** Longest synchronous wait for another connection's lock, in milliseconds. */
export const BUSY_TIMEOUT_MS = 5;
/** The same while the store is opened and migrated, before anything is served. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;

/** First 16 bytes of every SQLite 3 database file (https://sqlite.org/fileformat.html §1.3). */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function refuse(path: string, found: string): never {
  throw new StoreRefusedError(
    `${path} ${found}. It is left untouched: move it away (or set DATA_DIR to another folder) to start with a new store, or restore the store from a backup.`,
  );
}

function checkFileHeader(path: string): void {
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  if (size === 0) refuse(path, 'is an empty file, not a dicom2fhir store');
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) refuse(path, 'is not an SQLite database');
}

/** Refuses an SQLite file written by another program: a foreign application id, or tables of a schema that is not ours. */
function checkOwnership(db: Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === STORE_APPLICATION_ID) return;
  if (applicationId !== 0) refuse(path, `is the SQLite database of another application (application_id ${applicationId})`);
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
  // A store of schema version 1 predates the application id and always has `studies`.
  if (version === 0 ? tables.length > 0 : !tables.some((table) => table.name === 'studies')) {
    refuse(path, `is an SQLite database of another schema (tables: ${tables.slice(0, 5).map((t) => t.name).join(', ')})`);
  }
}

export interface OpenedDatabase {
  db: Database;
  /** What `PRAGMA quick_check` reported, when it found problems. */
  integrityProblems?: string;
}

/** Opens or creates the store file, checks it is ours and sound, and migrates it to the current schema. */
export function openDatabase(path: string): OpenedDatabase {
  checkFileHeader(path);
  const db = new BetterSqlite3(path);
  try {
    // Nothing is served yet: opening may wait for a lock as long as a person would.
    db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    checkOwnership(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Structure only (pages, records, free list), in one pass: fast enough for every start.
    const problems = (db.pragma('quick_check(20)') as Array<{ quick_check: string }>).map((row) => row.quick_check);
    migrate(db);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const failed = problems.length === 1 && problems[0] === 'ok' ? undefined : problems;
    return failed === undefined ? { db } : { db, integrityProblems: `${failed.length} problem(s), first: ${failed[0] ?? ''}` };
  } catch (error) {
    db.close();
    throw error;
  }
}
