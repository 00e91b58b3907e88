/**
 * What can go wrong with the store, as the rest of the bridge needs to know it: a full disk, a lock
 * held by another process, an unreadable file, or corrupted content. Every SQLite error a store
 * method throws is turned into a `StoreError` carrying one of these codes (SQLite result codes,
 * https://sqlite.org/rescode.html), and its message never quotes stored text: a caller may log it
 * as it is.
 */

export type StoreFaultCode = 'store-full' | 'store-locked' | 'store-unavailable' | 'store-corrupt';

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreFaultCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A stored resource whose bytes are not the ones written (checksum mismatch, undecodable JSON). */
export class StoreCorruptionError extends StoreError {
  override readonly name = 'StoreCorruptionError';
  constructor(
    readonly studyId: string,
    readonly studyInstanceUid: string,
    readonly versionId: number,
    what: string,
  ) {
    super('store-corrupt', `stored study ${studyId} version ${versionId}: ${what}`);
  }
}

/** The store file is not one this program may open (empty, not SQLite, another application's). */
export class StoreRefusedError extends Error {
  override readonly name = 'StoreRefusedError';
}

const FULL = new Set(['SQLITE_FULL']);
const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);
const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * The fault an error thrown by the store stands for; undefined for errors that are not the
 * store's (a bad argument, a programming error). SQLite extended codes (`SQLITE_BUSY_SNAPSHOT`,
 * `SQLITE_IOERR_WRITE`…) count as their primary code.
 */
export function storeFaultOf(error: unknown): StoreFaultCode | undefined {
  if (error instanceof StoreError) return error.code;
  const code = sqliteCode(error);
  if (code === undefined) return undefined;
  const primary = code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1');
  if (FULL.has(primary)) return 'store-full';
  if (LOCKED.has(primary)) return 'store-locked';
  if (CORRUPT.has(primary)) return 'store-corrupt';
  // IOERR, CANTOPEN, READONLY, PERM, MISUSE (closed database)… and a closed connection.
  return 'store-unavailable';
}

/** The error as a `StoreError` (message kept: SQLite's texts never quote data). */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const fault = storeFaultOf(error);
  if (fault === undefined) {
    // better-sqlite3 says "The database connection is not open" with a TypeError after close().
    if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
      return new StoreError('store-unavailable', error.message, { cause: error });
    }
    return error;
  }
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(fault, code === undefined ? message : `${message} (${code})`, { cause: error });
}

/** Whether the error is the store's (so a retry later may succeed), not the study's. */
export function isStoreFault(error: unknown): boolean {
  return storeFaultOf(toStoreError(error)) !== undefined;
}
