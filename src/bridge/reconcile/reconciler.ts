/**
 * Reconciliation with any DICOMweb server (SPEC §4, Scheduled sync and Start-up), on a schedule,
 * at start and on request: the QIDO-RS list of studies (in a date window, or all) is compared
 * with the store. Studies missing from the store, tombstoned, or with a recorded failure are
 * queued (the sync stores them only once stable); stored studies the source no longer lists are
 * deleted — only after a listing that completed without error, only among studies the listing
 * speaks for (inside the window), only when they were stored before the listing began (a study
 * synced meanwhile by the webhook is not in the listing yet), and each only once the source
 * confirms on its own that it does not have it. A listing that looks like a broken PACS rather
 * than deletions (see deletion-guard.ts) deletes nothing: its deletions are held until a person
 * confirms them. Exhausted failures are retried here once per run, so no failed study is ever
 * given up.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { BridgeSyncService } from '../sync/service.js';
import type { BridgeStore } from '../store/sqlite-store.js';
import { errorMessage, type BridgeLogger } from '../sync/logger.js';
import { mapWithConcurrency } from '../../folder/pool.js';
import { checkDeletionGuardShare, DEFAULT_DELETION_GUARD_SHARE, isMassDeletion } from './deletion-guard.js';
import { reconcileWindow, startedInWindow, type ReconcileWindow } from './window.js';

export type SearchStudies = (query: { studyDate?: string }) => Promise<string[]>;
/** Asks the source about one study on its own: true when it confirms it does not have it; throws when it cannot say. */
export type ConfirmAbsent = (studyInstanceUid: string) => Promise<boolean>;

/** Deletions a listing would have made, held for a person (counts only: /readyz shows them). */
export interface HeldDeletions {
  /** Stored studies the listing did not have. */
  missing: number;
  /** Stored studies the listing spoke for. */
  considered: number;
  listed: number;
  /** When a listing first looked like this. */
  since: string;
}

/** What confirming held deletions did. */
export interface ConfirmedDeletions {
  deleted: number;
  /** Studies the source still has when asked one by one (or could not be asked): kept. */
  kept: number;
}

export interface ReconcilerOptions {
  /** Every Study Instance UID the source has for the query (QIDO-RS, all pages). */
  searchStudies: SearchStudies;
  store: Pick<BridgeStore, 'listStudySummaries' | 'listFailures'>;
  sync: Pick<BridgeSyncService, 'enqueueMany' | 'deleteStudy'>;
  confirmAbsent: ConfirmAbsent;
  /** Largest share of the considered stored studies a listing may miss and still delete them; default 0.5. */
  deletionGuardShare?: number;
  /** Lookups of `confirmAbsent` at once; default 8. */
  confirmConcurrency?: number;
  /** node-cron expression, e.g. `0 * * * *` (hourly); without it `start` schedules nothing. */
  cron?: string;
  /** Only studies of the last `window` days (by Study Date); default all studies. */
  window?: number;
  /** IANA time zone of the cron expression; default the bridge's. */
  timezone?: string;
  logger: BridgeLogger;
  /** Clock that decides the window's days; default the system clock. */
  today?: () => Date;
}

export interface ReconcileSummary {
  /** Studies the source listed. */
  listed: number;
  /** Studies queued for sync (missing, tombstoned or failed). */
  enqueued: number;
  /** Stored studies deleted because the source no longer lists them (each confirmed absent on its own). */
  deleted: number;
  /** Stored studies the listing missed but the source still has, or could not confirm absent: kept. */
  kept: number;
  /** Deletions held for a person's confirmation (an empty listing, or one missing too many). */
  held: number;
  /** Whether the listing completed (deletions happen only then). */
  complete: boolean;
  error?: string;
  studyDate?: string;
}

export interface Reconciler {
  runOnce(): Promise<ReconcileSummary>;
  /** Schedules runs by the cron expression. */
  start(): void;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
  lastRun(): (ReconcileSummary & { finishedAt: string }) | undefined;
  /** The deletions waiting for a person, if a listing looked like a broken PACS. */
  heldDeletions(): HeldDeletions | undefined;
  /**
   * A person confirms the held deletions: each held study the source, asked on its own, confirms
   * absent is deleted. Undefined when nothing was held.
   */
  confirmDeletions(): Promise<ConfirmedDeletions | undefined>;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { searchStudies, store, sync, logger, confirmAbsent } = options;
  const today = options.today ?? (() => new Date());
  // Compared with the store's `lastUpdated`, which comes from the system clock.
  const now = (): Date => new Date();
  if (options.cron !== undefined && !cron.validate(options.cron)) throw new TypeError(`not a valid cron expression: ${options.cron}`);
  if (options.window !== undefined) reconcileWindow(options.window, today());
  const share = checkDeletionGuardShare(options.deletionGuardShare ?? DEFAULT_DELETION_GUARD_SHARE);
  const confirmConcurrency = options.confirmConcurrency ?? 8;

  let task: ScheduledTask | undefined;
  let last: (ReconcileSummary & { finishedAt: string }) | undefined;
  let held: (HeldDeletions & { studies: string[] }) | undefined;

  /** Deletes each study the source confirms absent on its own; keeps the others (present, or no answer). */
  async function deleteConfirmed(uids: readonly string[]): Promise<ConfirmedDeletions> {
    const absent = await mapWithConcurrency(uids, confirmConcurrency, async (uid) =>
      confirmAbsent(uid).catch((err: unknown) => {
        logger.warn({ studyInstanceUid: uid, err: errorMessage(err) }, 'reconciliation: could not confirm that the source lacks the study; kept');
        return false;
      }),
    );
    const result: ConfirmedDeletions = { deleted: 0, kept: 0 };
    uids.forEach((uid, i) => {
      if (absent[i] !== true) {
        result.kept += 1;
        return;
      }
      if (sync.deleteStudy(uid)) result.deleted += 1;
    });
    return result;
  }

  async function reconcile(): Promise<ReconcileSummary> {
    const window: ReconcileWindow | undefined = options.window === undefined ? undefined : reconcileWindow(options.window, today());
    const summary: ReconcileSummary = { listed: 0, enqueued: 0, deleted: 0, kept: 0, held: 0, complete: false };
    if (window !== undefined) summary.studyDate = window.studyDate;
    const listingStartedAt = now().toISOString();
    let listed: string[];
    try {
      listed = await searchStudies(window === undefined ? {} : { studyDate: window.studyDate });
    } catch (err) {
      summary.error = errorMessage(err);
      logger.error({ err: summary.error, studyDate: summary.studyDate }, 'reconciliation: study listing failed; nothing queued or deleted');
      last = { ...summary, finishedAt: now().toISOString() };
      return summary;
    }
    summary.complete = true;
    summary.listed = listed.length;
    const failed = new Set(store.listFailures().map((failure) => failure.studyInstanceUid));
    const atSource = new Set(listed);
    const live = store.listStudySummaries();
    const stored = new Set(live.map((study) => study.studyInstanceUid));
    const toSync = [...atSource].filter((uid) => !stored.has(uid) || failed.has(uid));
    sync.enqueueMany(toSync, 'reconcile');
    summary.enqueued = toSync.length;
    // A version stored in the listing's own millisecond may have been stored during the listing:
    // kept, like any later one; the next run deletes it if the source still does not list it.
    const considered = live.filter((study) => study.lastUpdated < listingStartedAt && (window === undefined || startedInWindow(study.started, window)));
    const missing = considered.filter((study) => !atSource.has(study.studyInstanceUid)).map((study) => study.studyInstanceUid);
    const gap = { listed: listed.length, considered: considered.length, missing: missing.length };
    if (isMassDeletion(gap, share)) {
      held = { ...gap, since: held?.since ?? now().toISOString(), studies: missing };
      summary.held = missing.length;
      logger.warn(
        { ...gap, share },
        'reconciliation: the listing misses too many stored studies to be deletions (PACS volume missing, wrong URL or credentials?); nothing deleted until confirmed with POST /admin/confirm-deletions',
      );
    } else {
      if (held !== undefined) logger.info({ ...gap }, 'reconciliation: the listing no longer looks like a mass deletion; held deletions dropped');
      held = undefined;
      const result = await deleteConfirmed(missing);
      summary.deleted = result.deleted;
      summary.kept = result.kept;
    }
    logger.info({ ...summary }, 'reconciliation done');
    last = { ...summary, finishedAt: now().toISOString() };
    return summary;
  }

  /** Runs never overlap, nor does a confirmation with a run: each waits for the one before. */
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = tail.then(work);
    tail = next.catch(() => undefined);
    return next;
  }

  let runInProgress: Promise<ReconcileSummary> | undefined;
  function runOnce(): Promise<ReconcileSummary> {
    // A second call while a run is going shares its result.
    runInProgress ??= exclusive(reconcile).finally(() => {
      runInProgress = undefined;
    });
    return runInProgress;
  }

  function confirmDeletions(): Promise<ConfirmedDeletions | undefined> {
    return exclusive(async () => {
      const pending = held;
      if (pending === undefined) return undefined;
      held = undefined;
      const result = await deleteConfirmed(pending.studies);
      logger.warn({ missing: pending.missing, considered: pending.considered, ...result }, 'held deletions confirmed by a person and applied');
      return result;
    });
  }

  return {
    runOnce,
    start() {
      if (task !== undefined || options.cron === undefined) return;
      task = cron.schedule(
        options.cron,
        async () => {
          await runOnce().catch((err: unknown) => {
            logger.error({ err: errorMessage(err) }, 'reconciliation failed');
          });
        },
        { name: 'dicom2fhir-reconcile', noOverlap: true, ...(options.timezone !== undefined ? { timezone: options.timezone } : {}) },
      );
    },
    async stop() {
      if (task !== undefined) await task.destroy();
      task = undefined;
      await tail;
    },
    lastRun: () => last,
    heldDeletions() {
      if (held === undefined) return undefined;
      const { studies: _studies, ...counts } = held;
      return counts;
    },
    confirmDeletions,
  };
}
