/**
 * Durable push outbox of the bridge: every stored study version and every deletion becomes a row
 * in the store's SQLite database, and one worker sends the rows to the external FHIR server in
 * order. A server outage only delays the queue (head-of-line retry with backoff); a restart
 * resumes from the table; nothing is dropped unless a newer row for the same study makes it moot.
 */
import type { Database } from 'better-sqlite3';
import type { Bundle } from 'fhir/r4';
import type { StoredStudy, StudyStore } from '../bridge/types.js';
import type { FhirClient } from './fhir-client.js';
import { FhirServerError } from './fhir-server-error.js';
import { retryDelay, type BackoffPolicy } from './retry.js';

/** Minimal structured logger (pino-compatible). Only UIDs, counts and statuses are logged. */
export interface PushLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface PushOutboxOptions {
  /** The store's database (`store.database`); the outbox keeps its tables there. */
  database: Database;
  client: Pick<FhirClient, 'transaction' | 'conditionalDelete'>;
  logger: PushLogger;
  /**
   * The transaction Bundle of a stored version, used when `onStored` is not handed one. The
   * bridge hands one in (see `pushSyncHooks`): it is converted from the same datasets as the
   * stored version, so no second conversion from the stored resource is needed.
   */
  buildBundle?: (study: StoredStudy) => Bundle;
  /** Waits between failed sends of the head row; default 1 s doubling to 5 min. */
  backoff?: BackoffPolicy;
  /**
   * After this many failures that retrying cannot fix (400, 404, 405, 410, 412, 413, 415, 422:
   * the server refuses the content), the row is parked as failed — kept and reported, no longer blocking
   * the rows behind it. Default 3.
   */
  maxRejectedAttempts?: number;
  random?: () => number;
  now?: () => Date;
}

export interface PushOutboxStatus {
  /** Rows still to send (parked failures excluded). */
  pending: number;
  /** Rows the server rejected; kept until a newer row for the same study replaces them. */
  failed: number;
  lastError?: string;
  lastSuccessAt?: string;
  oldestPendingAt?: string;
}

export interface PushOutbox {
  /** Queues the upsert of this version (FHIR conditional update by study identifier). */
  onStored(study: StoredStudy, outcome?: string, bundle?: Bundle): void;
  /** Queues `DELETE ImagingStudy?identifier=urn:dicom:uid|urn:oid:<uid>`. */
  onDeleted(studyInstanceUid: string): void;
  status(): PushOutboxStatus;
  /**
   * Queues what the store holds but the outbox never queued: versions stored while the process
   * died before `onStored` ran, deletions likewise, and — when push is configured on an existing
   * store — every study. Needs `buildBundle`. Returns how many rows it added.
   */
  catchUp(store: Pick<StudyStore, 'listStudyInstanceUids' | 'getByStudyInstanceUid'>): { upserts: number; deletes: number };
  /** Starts the worker (idempotent). */
  start(): void;
  /** Stops the worker after the send in flight, if any; the rows stay for the next start. */
  stop(): Promise<void>;
  /** Resolves when no row is pending (parked failures aside); while stopped, it waits for a start. */
  drain(): Promise<void>;
}

/** Identifier system of DICOM UIDs (FHIR R4 ImagingStudy.identifier, DICOM PS3.18 §F). */
const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/**
 * Statuses after which the same request will keep failing (RFC 9110 §15.5): the content or the
 * request is refused, including 412 — a conditional update that matched several resources (FHIR
 * R4 http.html#cond-update), which needs the server's data fixed. 401/403/409/429 are retried.
 */
const REJECTED_STATUSES = new Set([400, 404, 405, 410, 412, 413, 415, 422]);

interface OutboxRow {
  seq: number;
  study_instance_uid: string;
  kind: 'upsert' | 'delete';
  version_id: number | null;
  bundle: string | null;
  enqueued_at: string;
  attempts: number;
}

function migrate(database: Database): void {
  database.exec(`
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
  `);
}

export function createPushOutbox(options: PushOutboxOptions): PushOutbox {
  const { database, client, logger, buildBundle } = options;
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 300_000 };
  const maxRejectedAttempts = options.maxRejectedAttempts ?? 3;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  migrate(database);

  const statements = {
    supersede: database.prepare<[string, number]>('DELETE FROM push_outbox WHERE study_instance_uid = ? AND seq != ?'),
    insert: database.prepare<[string, string, number | null, string | null, string]>(
      'INSERT INTO push_outbox (study_instance_uid, kind, version_id, bundle, enqueued_at) VALUES (?, ?, ?, ?, ?)',
    ),
    head: database.prepare<[], OutboxRow>(
      'SELECT seq, study_instance_uid, kind, version_id, bundle, enqueued_at, attempts FROM push_outbox WHERE failed = 0 ORDER BY seq LIMIT 1',
    ),
    remove: database.prepare<[number]>('DELETE FROM push_outbox WHERE seq = ?'),
    recordFailure: database.prepare<[string, string, number, number]>(
      'UPDATE push_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, failed = ? WHERE seq = ?',
    ),
    counts: database.prepare<[], { pending: number; failed: number; oldest: string | null }>(
      `SELECT COALESCE(SUM(failed = 0), 0) AS pending, COALESCE(SUM(failed = 1), 0) AS failed,
              MIN(CASE WHEN failed = 0 THEN enqueued_at END) AS oldest FROM push_outbox`,
    ),
    lastError: database.prepare<[], { last_error: string }>(
      'SELECT last_error FROM push_outbox WHERE last_error IS NOT NULL ORDER BY last_attempt_at DESC, seq DESC LIMIT 1',
    ),
    markQueued: database.prepare<[string, number | null, number]>(
      `INSERT INTO push_queued (study_instance_uid, version_id, deleted) VALUES (?, ?, ?)
       ON CONFLICT (study_instance_uid) DO UPDATE SET version_id = COALESCE(excluded.version_id, version_id), deleted = excluded.deleted`,
    ),
    queued: database.prepare<[string], { version_id: number | null; deleted: number }>(
      'SELECT version_id, deleted FROM push_queued WHERE study_instance_uid = ?',
    ),
    queuedLive: database.prepare<[], { study_instance_uid: string }>('SELECT study_instance_uid FROM push_queued WHERE deleted = 0'),
    getState: database.prepare<[string], { value: string }>('SELECT value FROM push_state WHERE key = ?'),
    setState: database.prepare<[string, string]>(
      'INSERT INTO push_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };

  /** A new row for a study makes its older unsent rows moot: a conditional update or delete sets the whole state. */
  const enqueue = database.transaction((uid: string, kind: 'upsert' | 'delete', versionId: number | null, bundle: string | null) => {
    const superseded = statements.supersede.run(uid, inFlightSeq ?? -1).changes;
    statements.insert.run(uid, kind, versionId, bundle, now().toISOString());
    statements.markQueued.run(uid, versionId, kind === 'delete' ? 1 : 0);
    return superseded;
  });

  let inFlightSeq: number | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let drainWaiters: Array<() => void> = [];
  let workerError: string | undefined;

  function notify(): void {
    wake?.();
  }

  function pendingCount(): number {
    return statements.counts.get()?.pending ?? 0;
  }

  function settleDrains(): void {
    if (pendingCount() === 0) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const resolve of waiters) {
        resolve();
      }
    }
  }

  /** Sleeps until `ms` passed, or until woken by new work / stop when `interruptible`. */
  function pause(ms: number | undefined, interruptible: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        if (timer !== undefined) {
          clearTimeout(timer);
        }
        wake = undefined;
        resolve();
      }
      wake = interruptible ? done : () => (running ? undefined : done());
    });
  }

  async function send(row: OutboxRow): Promise<void> {
    if (row.kind === 'upsert') {
      if (row.bundle === null) {
        throw new Error(`outbox row ${row.seq} has no Bundle`);
      }
      await client.transaction(JSON.parse(row.bundle) as Bundle);
    } else {
      await client.conditionalDelete('ImagingStudy', { identifier: `${DICOM_UID_SYSTEM}|urn:oid:${row.study_instance_uid}` });
    }
  }

  async function work(): Promise<void> {
    let failures = 0;
    while (running) {
      const row = statements.head.get();
      if (row === undefined) {
        settleDrains();
        await pause(undefined, true);
        continue;
      }
      inFlightSeq = row.seq;
      try {
        await send(row);
        statements.remove.run(row.seq);
        statements.setState.run('lastSuccessAt', now().toISOString());
        failures = 0;
        logger.info({ studyInstanceUid: row.study_instance_uid, kind: row.kind, versionId: row.version_id }, 'pushed to FHIR server');
      } catch (error) {
        failures++;
        const status = error instanceof FhirServerError ? error.status : undefined;
        const message = error instanceof Error ? error.message : String(error);
        const rejected = status !== undefined && REJECTED_STATUSES.has(status) && row.attempts + 1 >= maxRejectedAttempts;
        statements.recordFailure.run(message, now().toISOString(), rejected ? 1 : 0, row.seq);
        const fields = { studyInstanceUid: row.study_instance_uid, kind: row.kind, status, attempts: row.attempts + 1 };
        if (rejected) {
          logger.warn(fields, 'FHIR server rejected the push; row parked as failed');
        } else {
          const retryAfterMs = error instanceof FhirServerError ? error.retryAfterMs : undefined;
          const delayMs = retryDelay(failures, backoff, random, retryAfterMs);
          logger.warn({ ...fields, delayMs }, 'push failed; retrying');
          inFlightSeq = undefined;
          await pause(delayMs, false);
        }
      } finally {
        inFlightSeq = undefined;
      }
      settleDrains();
    }
  }

  function onStored(study: StoredStudy, outcome?: string, bundle?: Bundle): void {
    if (outcome === 'unchanged' || study.deleted) {
      return;
    }
    const transaction = bundle ?? buildBundle?.(study);
    if (transaction === undefined) {
      throw new Error(`no Bundle for study ${study.studyInstanceUid} version ${study.versionId}: pass one or give buildBundle`);
    }
    const superseded = enqueue(study.studyInstanceUid, 'upsert', study.versionId, JSON.stringify(transaction));
    if (superseded > 0) {
      logger.info({ studyInstanceUid: study.studyInstanceUid, superseded }, 'older unsent push rows replaced');
    }
    notify();
  }

  function onDeleted(studyInstanceUid: string): void {
    enqueue(studyInstanceUid, 'delete', null, null);
    notify();
  }

  return {
    onStored,
    onDeleted,
    catchUp(store) {
      let upserts = 0;
      let deletes = 0;
      for (const uid of store.listStudyInstanceUids()) {
        const study = store.getByStudyInstanceUid(uid);
        const queued = statements.queued.get(uid);
        if (study !== undefined && !study.deleted && (queued === undefined || queued.deleted === 1 || (queued.version_id ?? 0) < study.versionId)) {
          onStored(study, 'updated');
          upserts++;
        }
      }
      for (const { study_instance_uid: uid } of statements.queuedLive.all()) {
        if (store.getByStudyInstanceUid(uid)?.deleted === true) {
          onDeleted(uid);
          deletes++;
        }
      }
      if (upserts + deletes > 0) {
        logger.info({ upserts, deletes }, 'queued stored changes the outbox had missed');
      }
      return { upserts, deletes };
    },
    status() {
      const counts = statements.counts.get();
      const lastError = workerError ?? statements.lastError.get()?.last_error;
      const lastSuccessAt = statements.getState.get('lastSuccessAt')?.value;
      return {
        pending: counts?.pending ?? 0,
        failed: counts?.failed ?? 0,
        ...(lastError === undefined ? {} : { lastError }),
        ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
        ...(counts?.oldest ? { oldestPendingAt: counts.oldest } : {}),
      };
    },
    start() {
      if (running) {
        return;
      }
      running = true;
      workerError = undefined;
      // Only the database can fail here (send errors are handled per row); the worker stops and
      // says so in status() rather than crashing the process with an unhandled rejection.
      loop = work().catch((error: unknown) => {
        running = false;
        workerError = `push worker stopped: ${error instanceof Error ? error.message : String(error)}`;
        logger.error({ error: workerError }, 'push worker stopped');
      });
    },
    async stop() {
      running = false;
      notify();
      await loop;
      loop = undefined;
    },
    drain() {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrains();
      });
    },
  };
}
