/**
 * Durable push outbox of the bridge: every stored study version and every deletion becomes a row
 * in the store's SQLite database (tables from the store's migrations), and one worker sends the
 * rows to the external FHIR server. Each study backs off on its own: a study the server keeps
 * failing waits for its next attempt while the others go on, and after `maxAttempts` failures it
 * is parked with its reason. A server that cannot be reached pauses the whole queue instead (every
 * study would fail alike). Before each upsert the identity rules are checked against the server
 * (SPEC §2.7): a refusal parks the row at once with its reason code. Parked rows are kept and
 * listed until a person retries them (`retry`, `POST /push/retry`) or a newer row replaces them.
 */
import { isStoreFault, StoreCorruptionError } from '../bridge/store/faults.js';
import type { Database } from 'better-sqlite3';
import type { Bundle } from 'fhir/r4';
import { migrate } from '../bridge/store/schema.js';
import type { StoredStudy, StudyStore } from '../bridge/types.js';
import type { PatientMode } from '../convert/options.js';
import type { FhirClient } from './fhir-client.js';
import { FhirServerError } from './fhir-server-error.js';
import { checkIdentities } from './identity-check.js';
import { IdentityRefusal } from './identity-refusal.js';
import { DEFAULT_MAX_TRANSACTION_ENTRIES } from './post-bundle.js';
import { retryDelay, type BackoffPolicy } from './retry.js';
import { sendInSteps } from './transaction-steps.js';

/** Pause of the worker after a store fault: 500 ms doubling to 30 s. */
const STORE_RETRY_BASE_MS = 500;
const STORE_RETRY_MAX_MS = 30_000;

/** Minimal structured logger (pino-compatible). Only UIDs, counts, codes and statuses are logged. */
export interface PushLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface PushOutboxOptions {
  /** The store's database (`store.database`); its migrations hold the outbox tables. */
  database: Database;
  client: Pick<FhirClient, 'transaction' | 'conditionalDelete' | 'search'>;
  logger: PushLogger;
  /**
   * The transaction Bundle of a stored version, used when `onStored` is not handed one and to
   * rebuild rows queued under older identity rules. The bridge hands the converter's Bundle in
   * (see `pushSyncHooks`); this one (`storedStudyBundle`) works from the stored resource alone.
   */
  buildBundle?: (study: StoredStudy) => Bundle;
  /** The current stored version of a study, to rebuild a row whose Bundle was dropped on upgrade. */
  loadStudy?: (studyInstanceUid: string) => StoredStudy | undefined;
  /** Whether a Patient absent on the server may be created (SPEC §2.7); default `create`. */
  patientMode?: PatientMode;
  /** Waits between failed sends of one study, and of the whole queue while the server is unreachable; default 1 s doubling to 5 min. */
  backoff?: BackoffPolicy;
  /** After this many failed sends of one study it is parked (kept, listed, retried on request). Default 5. */
  maxAttempts?: number;
  random?: () => number;
  now?: () => Date;
}

/** One parked push, as `/push/status` lists it. */
export interface ParkedPush {
  studyInstanceUid: string;
  kind: 'upsert' | 'delete';
  versionId?: number;
  /** A refusal code of SPEC §2.7 (`patient-demographics-conflict`…), `rejected` (the server refused the content) or `failing` (it kept failing). */
  reason: string;
  /** The refusal or the server's answer; may quote resource content, so only on the authenticated `/push/status`. */
  message: string;
  attempts: number;
  lastAttemptAt?: string;
}

export interface PushOutboxStatus {
  /** Rows still to send (parked ones excluded). */
  pending: number;
  /** Rows parked; kept until retried on request or replaced by a newer row for the same study. */
  failed: number;
  /** The parked rows with their reasons, oldest first. */
  parked?: ParkedPush[];
  lastError?: string;
  lastSuccessAt?: string;
  oldestPendingAt?: string;
}

export interface RetryRequest {
  /** One study; all parked rows when absent. */
  studyInstanceUid?: string;
  /** A person confirms that the study moves to another patient (a PACS correction). */
  allowSubjectChange?: boolean;
}

export interface PushOutbox {
  /** Queues the upsert of this version (FHIR conditional update by study identifier). */
  onStored(study: StoredStudy, outcome?: string, bundle?: Bundle): void;
  /** Queues `DELETE ImagingStudy?identifier=urn:dicom:uid|urn:oid:<uid>`. */
  onDeleted(studyInstanceUid: string): void;
  status(): PushOutboxStatus;
  /** Puts parked rows back in the queue, due now; returns how many. */
  retry(request?: RetryRequest): number;
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
  /** Resolves when no row is pending (parked ones aside); while stopped, it waits for a start. */
  drain(): Promise<void>;
}

/** Identifier system of DICOM UIDs (FHIR R4 ImagingStudy.identifier, DICOM PS3.18 §F). */
const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/**
 * Statuses after which the same request will keep failing (RFC 9110 §15.5): the content or the
 * request is refused, including 412 — a conditional update that matched several resources (FHIR
 * R4 http.html#cond-update), which needs the server's data fixed.
 */
const REJECTED_STATUSES = new Set([400, 404, 405, 410, 412, 413, 415, 422]);

/**
 * Failures of the server as a whole, not of one study: no answer, a gateway or the service down,
 * refused credentials (401/403: an operator fixes them), throttling (429). Every study would fail
 * alike, so the whole queue waits and no study is parked for them.
 */
const SERVER_STATUSES = new Set([401, 403, 429, 502, 503, 504]);

function serverUnavailable(error: unknown): boolean {
  return error instanceof FhirServerError && (error.status === undefined || SERVER_STATUSES.has(error.status));
}

interface OutboxRow {
  seq: number;
  study_instance_uid: string;
  kind: 'upsert' | 'delete';
  version_id: number | null;
  bundle: string | null;
  enqueued_at: string;
  attempts: number;
  allow_subject_change: number;
}

interface ParkedRow {
  study_instance_uid: string;
  kind: 'upsert' | 'delete';
  version_id: number | null;
  reason: string | null;
  last_error: string | null;
  attempts: number;
  last_attempt_at: string | null;
}

const ROW_COLUMNS = 'seq, study_instance_uid, kind, version_id, bundle, enqueued_at, attempts, allow_subject_change';

export function createPushOutbox(options: PushOutboxOptions): PushOutbox {
  const { database, client, logger, buildBundle } = options;
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 300_000 };
  const maxAttempts = options.maxAttempts ?? 5;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  // The store's migrations own the tables; a database opened by the store is already current.
  migrate(database);

  const statements = {
    supersede: database.prepare<[string, number]>('DELETE FROM push_outbox WHERE study_instance_uid = ? AND seq != ?'),
    insert: database.prepare<[string, string, number | null, string | null, string]>(
      'INSERT INTO push_outbox (study_instance_uid, kind, version_id, bundle, enqueued_at) VALUES (?, ?, ?, ?, ?)',
    ),
    due: database.prepare<[string], OutboxRow>(
      `SELECT ${ROW_COLUMNS} FROM push_outbox WHERE failed = 0 AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY seq LIMIT 1`,
    ),
    nextDue: database.prepare<[], { next: string | null }>('SELECT MIN(next_attempt_at) AS next FROM push_outbox WHERE failed = 0'),
    newer: database.prepare<[string, number], { seq: number }>('SELECT seq FROM push_outbox WHERE study_instance_uid = ? AND seq > ? LIMIT 1'),
    remove: database.prepare<[number]>('DELETE FROM push_outbox WHERE seq = ?'),
    recordFailure: database.prepare<[string, string, string | null, number, string | null, number]>(
      `UPDATE push_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, next_attempt_at = ?, failed = ?, reason = ?
       WHERE seq = ?`,
    ),
    recordServerFailure: database.prepare<[string, string, number]>(
      'UPDATE push_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? WHERE seq = ?',
    ),
    counts: database.prepare<[], { pending: number; failed: number; oldest: string | null }>(
      `SELECT COALESCE(SUM(failed = 0), 0) AS pending, COALESCE(SUM(failed = 1), 0) AS failed,
              MIN(CASE WHEN failed = 0 THEN enqueued_at END) AS oldest FROM push_outbox`,
    ),
    parked: database.prepare<[], ParkedRow>(
      `SELECT study_instance_uid, kind, version_id, reason, last_error, attempts, last_attempt_at FROM push_outbox WHERE failed = 1 ORDER BY seq`,
    ),
    lastError: database.prepare<[], { last_error: string }>(
      'SELECT last_error FROM push_outbox WHERE last_error IS NOT NULL ORDER BY last_attempt_at DESC, seq DESC LIMIT 1',
    ),
    retryAll: database.prepare<[number]>(
      `UPDATE push_outbox SET failed = 0, attempts = 0, next_attempt_at = NULL, reason = NULL, allow_subject_change = ? WHERE failed = 1`,
    ),
    retryOne: database.prepare<[number, string]>(
      `UPDATE push_outbox SET failed = 0, attempts = 0, next_attempt_at = NULL, reason = NULL, allow_subject_change = ?
       WHERE failed = 1 AND study_instance_uid = ?`,
    ),
    setBundle: database.prepare<[string, number, number]>('UPDATE push_outbox SET bundle = ?, version_id = ? WHERE seq = ?'),
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
  /** Set while the worker waits to start again after a store fault. */
  let restartTimer: NodeJS.Timeout | undefined;
  /** Consecutive failures of the server as a whole; the queue pauses while it is unreachable. */
  let serverFailures = 0;
  let serverError: string | undefined;
  /** The wait the server asked for with Retry-After, if it did. */
  let serverRetryAfterMs: number | undefined;

  function notify(): void {
    wake?.();
  }

  function settleDrains(): void {
    if ((statements.counts.get()?.pending ?? 0) === 0) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Sleeps until `ms` passed (forever when undefined), or until woken by new work or stop. */
  function pause(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        if (timer !== undefined) clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  /** The Bundle to send: the queued one, or — for rows queued under older identity rules — one rebuilt from the stored study. */
  function bundleOf(row: OutboxRow): Bundle | undefined {
    if (row.bundle !== null) return JSON.parse(row.bundle) as Bundle;
    const study = options.loadStudy?.(row.study_instance_uid);
    if (study === undefined || study.deleted || buildBundle === undefined) return undefined;
    const bundle = buildBundle(study);
    statements.setBundle.run(JSON.stringify(bundle), study.versionId, row.seq);
    return bundle;
  }

  async function send(row: OutboxRow): Promise<'sent' | 'moot'> {
    if (row.kind === 'delete') {
      await client.conditionalDelete('ImagingStudy', { identifier: `${DICOM_UID_SYSTEM}|urn:oid:${row.study_instance_uid}` });
      return 'sent';
    }
    const bundle = bundleOf(row);
    if (bundle === undefined) return 'moot';
    const checked = await checkIdentities(bundle, client.search, {
      ...(options.patientMode === undefined ? {} : { patientMode: options.patientMode }),
      allowSubjectChange: row.allow_subject_change === 1,
    });
    await sendInSteps(checked, (step) => client.transaction(step), DEFAULT_MAX_TRANSACTION_ENTRIES);
    return 'sent';
  }

  function recordFailure(row: OutboxRow, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const fields = { studyInstanceUid: row.study_instance_uid, kind: row.kind, attempts: row.attempts + 1 };
    if (statements.newer.get(row.study_instance_uid, row.seq) !== undefined) {
      // A newer version (or the deletion) was queued meanwhile: this row must not be sent after it.
      statements.remove.run(row.seq);
      logger.info(fields, 'push failed; a newer row for the study replaces it');
      return;
    }
    if (serverUnavailable(error)) {
      serverFailures++;
      serverError = message;
      serverRetryAfterMs = (error as FhirServerError).retryAfterMs;
      statements.recordServerFailure.run(message, now().toISOString(), row.seq);
      logger.warn({ ...fields, status: (error as FhirServerError).status }, 'FHIR server unavailable; the queue waits');
      return;
    }
    if (error instanceof IdentityRefusal) {
      statements.recordFailure.run(message, now().toISOString(), null, 1, error.code, row.seq);
      logger.warn({ ...fields, reason: error.code }, 'push refused by the identity rules; parked until retried');
      return;
    }
    const status = error instanceof FhirServerError ? error.status : undefined;
    const parked = row.attempts + 1 >= maxAttempts;
    const reason = status !== undefined && REJECTED_STATUSES.has(status) ? 'rejected' : 'failing';
    const retryAfterMs = error instanceof FhirServerError ? error.retryAfterMs : undefined;
    const delayMs = retryDelay(row.attempts + 1, backoff, random, retryAfterMs);
    const nextAt = parked ? null : new Date(now().getTime() + delayMs).toISOString();
    statements.recordFailure.run(message, now().toISOString(), nextAt, parked ? 1 : 0, parked ? reason : null, row.seq);
    if (parked) logger.warn({ ...fields, status, reason }, 'push failed repeatedly; parked until retried');
    else logger.warn({ ...fields, status, delayMs }, 'push failed; this study retries later, the others go on');
  }

  async function work(): Promise<void> {
    while (running) {
      if (serverFailures > 0) {
        await pause(retryDelay(serverFailures, backoff, random, serverRetryAfterMs));
        if (!running) break;
      }
      const row = statements.due.get(now().toISOString());
      if (row === undefined) {
        settleDrains();
        const next = statements.nextDue.get()?.next;
        await pause(next === null || next === undefined ? undefined : Math.max(0, Date.parse(next) - now().getTime()));
        continue;
      }
      inFlightSeq = row.seq;
      try {
        const result = await send(row);
        statements.remove.run(row.seq);
        serverFailures = 0;
        serverError = undefined;
        if (result === 'sent') {
          statements.setState.run('lastSuccessAt', now().toISOString());
          logger.info({ studyInstanceUid: row.study_instance_uid, kind: row.kind, versionId: row.version_id }, 'pushed to FHIR server');
        } else {
          logger.info({ studyInstanceUid: row.study_instance_uid }, 'queued push dropped: the study is no longer stored');
        }
      } catch (error) {
        if (!serverUnavailable(error)) {
          serverFailures = 0;
          serverError = undefined;
        }
        recordFailure(row, error);
      } finally {
        inFlightSeq = undefined;
      }
      settleDrains();
    }
  }

  function onStored(study: StoredStudy, outcome?: string, bundle?: Bundle): void {
    if (outcome === 'unchanged' || study.deleted) return;
    const transaction = bundle ?? buildBundle?.(study);
    if (transaction === undefined) {
      throw new Error(`no Bundle for study ${study.studyInstanceUid} version ${study.versionId}: pass one or give buildBundle`);
    }
    const superseded = enqueue(study.studyInstanceUid, 'upsert', study.versionId, JSON.stringify(transaction));
    if (superseded > 0) logger.info({ studyInstanceUid: study.studyInstanceUid, superseded }, 'older unsent push rows replaced');
    notify();
  }

  function onDeleted(studyInstanceUid: string): void {
    enqueue(studyInstanceUid, 'delete', null, null);
    notify();
  }

  return {
    onStored,
    onDeleted,
    retry(request = {}) {
      const allow = request.allowSubjectChange === true ? 1 : 0;
      const changed =
        request.studyInstanceUid === undefined
          ? statements.retryAll.run(allow).changes
          : statements.retryOne.run(allow, request.studyInstanceUid).changes;
      if (changed > 0) {
        logger.info({ retried: changed, studyInstanceUid: request.studyInstanceUid, allowSubjectChange: allow === 1 }, 'parked pushes retried on request');
        notify();
      }
      return changed;
    },
    catchUp(store) {
      let upserts = 0;
      let deletes = 0;
      /** The stored study; undefined for one whose stored bytes are damaged (the store has it re-synced, never published from them). */
      const storedStudy = (uid: string): StoredStudy | undefined => {
        try {
          return store.getByStudyInstanceUid(uid);
        } catch (error) {
          if (!(error instanceof StoreCorruptionError)) throw error;
          logger.warn({ studyInstanceUid: uid }, 'catch-up skipped a stored study that failed its checksum');
          return undefined;
        }
      };
      for (const uid of store.listStudyInstanceUids()) {
        const study = storedStudy(uid);
        const queued = statements.queued.get(uid);
        // A stale study (made by another FHIR version or converter schema) is published once re-converted.
        if (study !== undefined && !study.deleted && study.stale !== true && (queued === undefined || queued.deleted === 1 || (queued.version_id ?? 0) < study.versionId)) {
          onStored(study, 'updated');
          upserts++;
        }
      }
      for (const { study_instance_uid: uid } of statements.queuedLive.all()) {
        if (storedStudy(uid)?.deleted === true) {
          onDeleted(uid);
          deletes++;
        }
      }
      if (upserts + deletes > 0) logger.info({ upserts, deletes }, 'queued stored changes the outbox had missed');
      return { upserts, deletes };
    },
    status() {
      const counts = statements.counts.get();
      const lastError = workerError ?? serverError ?? statements.lastError.get()?.last_error;
      const lastSuccessAt = statements.getState.get('lastSuccessAt')?.value;
      const parked = statements.parked.all().map(
        (row): ParkedPush => ({
          studyInstanceUid: row.study_instance_uid,
          kind: row.kind,
          ...(row.version_id === null ? {} : { versionId: row.version_id }),
          reason: row.reason ?? 'failing',
          message: row.last_error ?? '',
          attempts: row.attempts,
          ...(row.last_attempt_at === null ? {} : { lastAttemptAt: row.last_attempt_at }),
        }),
      );
      return {
        pending: counts?.pending ?? 0,
        failed: counts?.failed ?? 0,
        parked,
        ...(lastError === undefined ? {} : { lastError }),
        ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
        ...(counts?.oldest ? { oldestPendingAt: counts.oldest } : {}),
      };
    },
    start() {
      if (running) return;
      running = true;
      workerError = undefined;
      // Only the database can fail here (send errors are handled per row). A store fault (full
      // disk, a lock held elsewhere) pauses the worker, which starts again by itself: the rows stay
      // in the table. Anything else stops it and says so in status() rather than crashing the
      // process with an unhandled rejection.
      const launch = (restarts: number): void => {
        loop = work().catch((error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (running && isStoreFault(error)) {
            const delayMs = Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_BASE_MS * 2 ** restarts);
            workerError = `push worker waiting for the store: ${message}`;
            logger.warn({ error: message, delayMs }, 'push worker paused by a store fault; it starts again');
            restartTimer = setTimeout(() => {
              restartTimer = undefined;
              if (!running) return;
              workerError = undefined;
              launch(restarts + 1);
            }, delayMs);
            return;
          }
          running = false;
          workerError = `push worker stopped: ${message}`;
          logger.error({ error: workerError }, 'push worker stopped');
        });
      };
      launch(0);
    },
    async stop() {
      running = false;
      if (restartTimer !== undefined) clearTimeout(restartTimer);
      restartTimer = undefined;
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
