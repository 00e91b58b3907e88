/**
 * Scheduled reconciliation with any DICOMweb server (SPEC §4, Scheduled sync): the QIDO-RS list
 * of studies (in a date window, or all) is compared with the store. Studies missing from the
 * store, tombstoned, or with a recorded failure are queued; stored studies the source no longer
 * lists are deleted — only after a listing that completed without error, only among studies the
 * listing speaks for (inside the window), and only when they were stored before the listing
 * began (a study synced meanwhile by the webhook is not in the listing yet). Exhausted failures
 * are retried here once per run, so no failed study is ever given up.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { BridgeSyncService } from '../sync/service.js';
import type { BridgeStore } from '../store/sqlite-store.js';
import { errorMessage, type BridgeLogger } from '../sync/logger.js';
import { reconcileWindow, startedInWindow, type ReconcileWindow } from './window.js';

export type SearchStudies = (query: { studyDate?: string }) => Promise<string[]>;

export interface ReconcilerOptions {
  /** Every Study Instance UID the source has for the query (QIDO-RS, all pages). */
  searchStudies: SearchStudies;
  store: Pick<BridgeStore, 'listStudySummaries' | 'listFailures'>;
  sync: Pick<BridgeSyncService, 'enqueueMany' | 'deleteStudy'>;
  /** node-cron expression, e.g. `0 * * * *` (hourly). */
  cron: string;
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
  /** Stored studies deleted because the source no longer lists them. */
  deleted: number;
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
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { searchStudies, store, sync, logger } = options;
  const today = options.today ?? (() => new Date());
  // Compared with the store's `lastUpdated`, which comes from the system clock.
  const now = (): Date => new Date();
  if (!cron.validate(options.cron)) throw new TypeError(`not a valid cron expression: ${options.cron}`);
  if (options.window !== undefined) reconcileWindow(options.window, today());

  let task: ScheduledTask | undefined;
  let current: Promise<ReconcileSummary> | undefined;
  let last: (ReconcileSummary & { finishedAt: string }) | undefined;

  async function reconcile(): Promise<ReconcileSummary> {
    const window: ReconcileWindow | undefined = options.window === undefined ? undefined : reconcileWindow(options.window, today());
    const summary: ReconcileSummary = { listed: 0, enqueued: 0, deleted: 0, complete: false };
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
    for (const study of live) {
      // A version stored in the listing's own millisecond may have been stored during the listing:
      // kept, like any later one; the next run deletes it if the source still does not list it.
      if (atSource.has(study.studyInstanceUid) || study.lastUpdated >= listingStartedAt) continue;
      if (window !== undefined && !startedInWindow(study.started, window)) continue;
      if (sync.deleteStudy(study.studyInstanceUid)) summary.deleted += 1;
    }
    logger.info({ ...summary }, 'reconciliation done');
    last = { ...summary, finishedAt: now().toISOString() };
    return summary;
  }

  function runOnce(): Promise<ReconcileSummary> {
    // Runs never overlap: a second call while one is running shares its result.
    if (current !== undefined) return current;
    current = reconcile().finally(() => {
      current = undefined;
    });
    return current;
  }

  return {
    runOnce,
    start() {
      if (task !== undefined) return;
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
      const running = current;
      if (running !== undefined) {
        await running.then(
          () => undefined,
          (err: unknown) => logger.error({ err: errorMessage(err) }, 'reconciliation running at stop failed'),
        );
      }
    },
    lastRun: () => last,
  };
}
