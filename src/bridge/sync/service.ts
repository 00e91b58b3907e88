/**
 * The sync service: every trigger (webhook, change feed, reconciliation, on-demand read) ends in
 * one idempotent operation — WADO-RS metadata → the converter → the store (SPEC §4). The queue
 * in front of it dedupes, bounds concurrency and retries with backoff; failures are recorded in
 * the store so they stay visible and survive a restart.
 */
import type { Dataset } from '../../dicom/dataset.js';
import { assertValidUid } from '../../dicomweb/uid.js';
import type { Conversion, ConvertOptions, ImagingStudy } from '../../convert/options.js';
import { instanceIndexOfDatasets } from '../store/instance-index.js';
import { isStoreFault } from '../store/faults.js';
import type { PendingSyncStore, SyncedOutcome, SyncedStudy } from '../store/sqlite-store.js';
import type { PutOutcome, StoredStudy, StudyStore, SyncFailure, SyncReason, SyncResult, SyncService } from '../types.js';
import { DEFAULT_BACKOFF, retryDelayMs, STORE_FAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { createGroupCommit } from './group-commit.js';
import { errorMessage, type BridgeLogger } from './logger.js';

/**
 * How long a finished sync waits for others to commit with (see group-commit.ts): a little
 * latency per study for fewer fsyncs, which block the event loop.
 */
export const GROUP_COMMIT_WINDOW_MS = 10;

export type FetchStudy = (studyInstanceUid: string) => Promise<Dataset[] | undefined>;
export type ConvertStudy = (datasets: Dataset[], options: ConvertOptions) => Conversion;
/** Whether a study fetched with `instanceCount` instances is complete (stable) at its source. */
export type CheckStability = (studyInstanceUid: string, instanceCount: number) => Promise<{ stable: boolean; reason?: string }>;

export interface SyncServiceOptions {
  /** Versions, failures, and the durable copy of the queue. */
  store: StudyStore & PendingSyncStore;
  /** WADO-RS study metadata; undefined when the source has no such study. */
  fetchStudy: FetchStudy;
  convert: ConvertStudy;
  /** Passed to the converter (endpoint = the DICOMweb base URL); `format` is always `imagingstudy`. */
  convertOptions: ConvertOptions;
  logger: BridgeLogger;
  /** Syncs running at once; default 4. */
  concurrency?: number;
  /** Failed attempts before automatic retries stop (the failure stays recorded); default 8. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /**
   * Asked after each fetch, before anything is stored: a study the source is still receiving is
   * neither stored nor published (SPEC §4). Unset: every fetched study is stored.
   */
  checkStability?: CheckStability;
  /**
   * Retry delays after the store itself failed (full disk, lock held elsewhere): not the study's
   * fault, so not counted as its attempts and never exhausted; default 250 ms doubling to 5 s.
   */
  storeBackoff?: BackoffOptions;
  /** Called after a new version was stored, with the datasets it came from (for the push outbox). */
  onStored?: (study: StoredStudy, outcome: Exclude<PutOutcome, 'unchanged'>, datasets: Dataset[]) => void | Promise<void>;
  /** Called after a study was tombstoned. */
  onDeleted?: (studyInstanceUid: string) => void | Promise<void>;
  /** At construction, re-queue the studies left queued by the previous run and schedule recorded failures' retries; default true. */
  resume?: boolean;
  random?: () => number;
  now?: () => Date;
}

export interface SyncStatus {
  queued: number;
  inFlight: number;
  failures: SyncFailure[];
  /** Failures waiting for their backoff delay. */
  scheduledRetries: number;
  /** onStored/onDeleted hooks that threw (each one logged). */
  hookErrors: number;
  /** Store writes about the queue that failed (each one logged; the study stays pending or failed in the store). */
  unrecordedFailures: number;
  /** Studies waiting to be retried because the store failed (not counted in `failures`). */
  storeFaultRetries: number;
}

export interface BridgeSyncService extends SyncService {
  /** `enqueue` for many studies, with one store write for all (a reconciliation may queue thousands). */
  enqueueMany(studyInstanceUids: readonly string[], reason: SyncReason): void;
  status(): SyncStatus;
  /** Returns whether a tombstone was written (false when the study was unknown or already deleted). */
  deleteStudy(studyInstanceUid: string): boolean;
}

export function createSyncService(options: SyncServiceOptions): BridgeSyncService {
  const { store, fetchStudy, convert, logger } = options;
  const concurrency = options.concurrency ?? 4;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const storeBackoff = options.storeBackoff ?? STORE_FAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const convertOptions: ConvertOptions = { ...options.convertOptions, format: 'imagingstudy' };

  const queue: string[] = [];
  const queued = new Map<string, SyncReason>();
  const running = new Set<string>();
  /**
   * Running studies past their metadata fetch (asking stability, converting, waiting for their
   * commit): they no longer count against `concurrency`, so the source always has the next
   * fetches to work on. At most `concurrency` of them leave their place at the fetch's end (each
   * holds its datasets meanwhile); any leaves it while waiting for its commit (10 ms at most).
   */
  const settling = new Set<string>();

  function settle(uid: string, bounded: boolean): void {
    if (settling.has(uid) || (bounded && settling.size >= concurrency)) return;
    settling.add(uid);
    pump();
  }
  const rerun = new Map<string, SyncReason>();
  const retryTimers = new Map<string, NodeJS.Timeout>();
  const attempts = new Map<string, number>();
  /** Consecutive store faults met by each study's sync; cleared when its sync ends otherwise. */
  const storeFaults = new Map<string, number>();
  /** The last failure list read from the store, shown while the store cannot be read. */
  let lastFailures: SyncFailure[] = [];
  const deletions = new Map<string, number>();
  /** Running studies whose stored queue entry went with their stored version (see `putSyncedMany`). */
  const dequeued = new Set<string>();
  const idleWaiters: Array<() => void> = [];
  let hookErrors = 0;
  let unrecorded = 0;
  let stopped = false;

  function isIdle(): boolean {
    return queue.length === 0 && running.size === 0 && retryTimers.size === 0;
  }

  function notifyIdle(): void {
    if (!isIdle()) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  const hookRetryTimers = new Set<NodeJS.Timeout>();

  /** A hook that met a store fault (the outbox's write) is run again later; any other failure is counted and logged. */
  async function runHook(name: string, uid: string, hook: () => void | Promise<void>, attempt = 1): Promise<void> {
    try {
      await hook();
    } catch (err) {
      if (isStoreFault(err) && !stopped) {
        const delay = retryDelayMs(attempt, storeBackoff, random);
        logger.warn({ studyInstanceUid: uid, hook: name, storeError: errorMessage(err), retryInMs: delay }, 'sync hook met a store fault; will retry');
        const timer = setTimeout(() => {
          hookRetryTimers.delete(timer);
          void runHook(name, uid, hook, attempt + 1);
        }, delay);
        hookRetryTimers.add(timer);
        return;
      }
      hookErrors += 1;
      logger.error({ studyInstanceUid: uid, hook: name, err: errorMessage(err) }, 'sync hook failed');
    }
  }

  /** Ends of syncs written together, one transaction (one fsync) for the syncs that finish close together. */
  const commits = createGroupCommit<SyncedStudy, SyncedOutcome>({
    windowMs: GROUP_COMMIT_WINDOW_MS,
    commit(studies) {
      const outcomes = store.putSyncedMany(studies);
      // Marked before any caller resumes: a request for the study from now on needs a new stored entry.
      studies.forEach((study, index) => {
        if (study.dequeue && outcomes[index]?.ok === true) dequeued.add(study.studyInstanceUid);
      });
      return outcomes;
    },
  });

  /** Metadata fetches in flight, by study, with the deletion epoch each started in. */
  const fetching = new Map<string, { epoch: number; datasets: Promise<Dataset[] | undefined> }>();

  /**
   * One fetch per study at a time: a read of a study not synced yet (on demand) while its queued
   * sync runs, or several such reads, join the fetch in flight instead of asking the source for
   * the same metadata again — for a 30,000-instance study a minute of the PACS's work and the
   * memory of a second copy. A fetch started before a deletion is not joined after it.
   */
  function sharedFetch(uid: string, epoch: number): Promise<Dataset[] | undefined> {
    const running = fetching.get(uid);
    if (running !== undefined && running.epoch === epoch) return running.datasets;
    const datasets = fetchStudy(uid).finally(() => {
      if (fetching.get(uid)?.datasets === datasets) fetching.delete(uid);
    });
    fetching.set(uid, { epoch, datasets });
    return datasets;
  }

  /** `fromQueue`: run from the queue, whose stored entry may then go in the same transaction as the version. */
  async function syncOnce(studyInstanceUid: string, reason: SyncReason, fromQueue: boolean): Promise<SyncResult> {
    const uid = assertValidUid(studyInstanceUid);
    const epoch = deletions.get(uid) ?? 0;
    const datasets = await sharedFetch(uid, epoch);
    if (fromQueue) settle(uid, true);
    if (datasets === undefined || datasets.length === 0) {
      // Nothing left to retry: a recorded failure of a study the source no longer has is settled.
      store.clearFailure(uid);
      attempts.delete(uid);
      logger.info({ studyInstanceUid: uid, reason }, 'study not found at the source');
      return { studyInstanceUid: uid, outcome: 'not-found' };
    }
    const conversion = convert(datasets, convertOptions);
    if (conversion.studyInstanceUid !== uid) {
      throw new Error(`the source answered study ${conversion.studyInstanceUid} when asked for ${uid}`);
    }
    if (conversion.resource.resourceType !== 'ImagingStudy') {
      throw new Error(`the converter returned a ${conversion.resource.resourceType}, expected an ImagingStudy`);
    }
    const checkStability = options.checkStability;
    if (checkStability !== undefined) {
      const verdict = await checkStability(uid, conversion.numberOfInstances);
      if (!verdict.stable) {
        // Arriving is not failing: the study is synced when it is stable (Orthanc's StableStudy, the quiet period's next look).
        store.clearFailure(uid);
        attempts.delete(uid);
        logger.info({ studyInstanceUid: uid, reason, instances: conversion.numberOfInstances, why: verdict.reason }, 'study not stable at the source; not stored');
        return { studyInstanceUid: uid, outcome: 'unstable', resource: conversion.resource as ImagingStudy };
      }
    }
    // The instance index comes from the datasets: it stays complete when the resource omits its instance lists.
    const instances = instanceIndexOfDatasets(datasets);
    const resource = conversion.resource as ImagingStudy;
    // Waiting for its commit, a queued sync leaves its place to the next one: the source gets the
    // next request before this process blocks on the fsync, not after.
    if (fromQueue) settle(uid, false);
    // Decided when its group commits: a deletion or a new request may come while the study waits.
    const committed = await commits.submit(() =>
      (deletions.get(uid) ?? 0) !== epoch
        ? undefined
        : // A study asked for again while it ran keeps its entry for the run to come.
          { studyInstanceUid: uid, resource, instances, dequeue: fromQueue && !rerun.has(uid) },
    );
    if (committed === undefined) {
      logger.info({ studyInstanceUid: uid, reason }, 'study deleted while it was being fetched; not stored');
      return { studyInstanceUid: uid, outcome: 'not-found' };
    }
    if (!committed.ok) throw committed.error;
    const { outcome, study } = committed;
    attempts.delete(uid);
    logger.info(
      {
        studyInstanceUid: uid,
        reason,
        outcome,
        versionId: study.versionId,
        series: conversion.numberOfSeries,
        instances: conversion.numberOfInstances,
        issues: conversion.issues.length,
      },
      'study synced',
    );
    const onStored = options.onStored;
    if (outcome !== 'unchanged' && onStored !== undefined) {
      await runHook('onStored', uid, () => onStored(study, outcome, datasets));
    }
    return { studyInstanceUid: uid, outcome, study };
  }

  function recordFailure(uid: string, reason: SyncReason, err: unknown): void {
    const attempt = (attempts.get(uid) ?? 0) + 1;
    attempts.set(uid, attempt);
    const at = now();
    const failure: SyncFailure = {
      studyInstanceUid: uid,
      attempts: attempt,
      lastError: errorMessage(err),
      lastAttemptAt: at.toISOString(),
    };
    if (attempt < maxAttempts) {
      const delay = retryDelayMs(attempt, backoff, random);
      failure.nextAttemptAt = new Date(at.getTime() + delay).toISOString();
      store.recordFailure(failure);
      // After stop() the recorded due time is what the next start resumes from.
      if (!stopped) scheduleRetry(uid, reason, delay);
      logger.warn({ studyInstanceUid: uid, reason, attempts: attempt, retryInMs: delay, err: failure.lastError }, 'study sync failed; will retry');
    } else {
      store.recordFailure(failure);
      logger.error(
        { studyInstanceUid: uid, reason, attempts: attempt, err: failure.lastError },
        'study sync failed; automatic retries exhausted, the next reconciliation retries it',
      );
    }
  }

  function scheduleRetry(uid: string, reason: SyncReason, delayMs: number): void {
    const existing = retryTimers.get(uid);
    if (existing !== undefined) clearTimeout(existing);
    const timer = setTimeout(() => {
      retryTimers.delete(uid);
      try {
        enqueue(uid, reason);
      } catch (err) {
        // The stored queue is written first: a study it could not take is in neither queue, so it
        // is retried from here again — a timer never throws (that would end the process).
        if (isStoreFault(err) && !stopped) retryAfterStoreFault(uid, reason, err);
        else logger.error({ studyInstanceUid: uid, reason, err: errorMessage(err) }, 'a scheduled sync retry could not be queued');
      }
      notifyIdle();
    }, delayMs);
    retryTimers.set(uid, timer);
  }

  /** The store failed during the study's sync: retried soon, without counting against the study. */
  function retryAfterStoreFault(uid: string, reason: SyncReason, err: unknown): void {
    const count = (storeFaults.get(uid) ?? 0) + 1;
    storeFaults.set(uid, count);
    const delay = retryDelayMs(count, storeBackoff, random);
    logger.warn({ studyInstanceUid: uid, reason, storeError: errorMessage(err), retryInMs: delay }, 'the store failed during a sync; will retry');
    scheduleRetry(uid, reason, delay);
  }

  async function run(uid: string, reason: SyncReason): Promise<void> {
    running.add(uid);
    let settled = true;
    try {
      await syncOnce(uid, reason, true);
      storeFaults.delete(uid);
    } catch (err) {
      if (isStoreFault(err)) {
        // Not the study's failure: it stays in the stored queue and is retried in memory.
        settled = false;
        if (!stopped) retryAfterStoreFault(uid, reason, err);
      } else {
        storeFaults.delete(uid);
        try {
          recordFailure(uid, reason, err);
        } catch (recordError) {
          settled = false;
          // The store failed too (closed at shutdown, disk full): the study stays in the stored
          // queue for the next start, is retried in memory meanwhile, and the lost record is reported.
          unrecorded += 1;
          logger.error(
            { studyInstanceUid: uid, reason, err: errorMessage(err), storeError: errorMessage(recordError) },
            'study sync failed and the failure could not be recorded',
          );
          if (!stopped && isStoreFault(recordError)) retryAfterStoreFault(uid, reason, recordError);
        }
      }
    } finally {
      running.delete(uid);
      settling.delete(uid);
      const again = rerun.get(uid);
      rerun.delete(uid);
      const leftQueueWhenStored = dequeued.delete(uid);
      if (again !== undefined && !stopped) {
        enqueue(uid, again);
      } else if (again === undefined && settled && !leftQueueWhenStored) {
        // Done (stored, not found, or handed over to the failure record); stays pending when queued again.
        try {
          store.removePending(uid);
        } catch (removeError) {
          unrecorded += 1;
          logger.error({ studyInstanceUid: uid, storeError: errorMessage(removeError) }, 'finished sync could not be removed from the stored queue');
        }
      }
      pump();
      notifyIdle();
    }
  }

  function pump(): void {
    while (!stopped && running.size - settling.size < concurrency && queue.length > 0) {
      const uid = queue.shift() as string;
      const reason = queued.get(uid) ?? 'manual';
      queued.delete(uid);
      void run(uid, reason);
    }
  }

  function enqueueMany(studyInstanceUids: readonly string[], reason: SyncReason): void {
    const uids = [...new Set(studyInstanceUids.map(assertValidUid))];
    if (stopped) {
      logger.warn({ studies: uids.length, reason }, 'sync service stopped; studies not queued');
      return;
    }
    const fresh = uids.filter((uid) => !running.has(uid) && !queued.has(uid));
    // A running study whose entry already went with its stored version needs a new one for its rerun.
    const dequeuedAgain = reason === 'reconcile' ? [] : uids.filter((uid) => dequeued.has(uid));
    // Written before the in-memory queue changes: a study is never queued without its stored copy.
    if (fresh.length + dequeuedAgain.length > 0) store.addPending([...fresh, ...dequeuedAgain], reason);
    for (const uid of dequeuedAgain) dequeued.delete(uid);
    // A reconciliation asks for studies missing from the store (or failed): a sync already running stores them or records why not.
    if (reason !== 'reconcile') for (const uid of uids) if (running.has(uid)) rerun.set(uid, reason);
    for (const uid of fresh) {
      const timer = retryTimers.get(uid);
      if (timer !== undefined) {
        clearTimeout(timer);
        retryTimers.delete(uid);
      }
      queued.set(uid, reason);
      queue.push(uid);
    }
    pump();
  }

  function enqueue(studyInstanceUid: string, reason: SyncReason): void {
    enqueueMany([studyInstanceUid], reason);
  }

  function deleteStudy(studyInstanceUid: string): boolean {
    const uid = assertValidUid(studyInstanceUid);
    deletions.set(uid, (deletions.get(uid) ?? 0) + 1);
    if (queued.delete(uid)) queue.splice(queue.indexOf(uid), 1);
    rerun.delete(uid);
    const timer = retryTimers.get(uid);
    if (timer !== undefined) clearTimeout(timer);
    retryTimers.delete(uid);
    attempts.delete(uid);
    store.clearFailure(uid);
    store.removePending(uid);
    const deleted = store.markDeleted(uid);
    logger.info({ studyInstanceUid: uid, deleted }, deleted ? 'study deleted' : 'delete of an unknown or already deleted study');
    const onDeleted = options.onDeleted;
    if (deleted && onDeleted !== undefined) void runHook('onDeleted', uid, () => onDeleted(uid));
    notifyIdle();
    return deleted;
  }

  function resume(): void {
    const nowMs = now().getTime();
    let resumed = 0;
    for (const failure of store.listFailures()) {
      attempts.set(failure.studyInstanceUid, failure.attempts);
      if (failure.nextAttemptAt === undefined) continue;
      scheduleRetry(failure.studyInstanceUid, 'manual', Math.max(0, Date.parse(failure.nextAttemptAt) - nowMs));
      resumed += 1;
    }
    const pending = store.listPending();
    const byReason = new Map<SyncReason, string[]>();
    for (const item of pending) {
      const uids = byReason.get(item.reason) ?? [];
      uids.push(item.studyInstanceUid);
      byReason.set(item.reason, uids);
    }
    for (const [reason, uids] of byReason) enqueueMany(uids, reason);
    if (resumed > 0 || pending.length > 0) logger.info({ retries: resumed, queued: pending.length }, 'sync work of the previous run resumed');
  }

  if (options.resume ?? true) resume();

  return {
    syncStudy: (studyInstanceUid, reason) => syncOnce(studyInstanceUid, reason, false),
    enqueue,
    enqueueMany,
    deleteStudy,
    status() {
      try {
        lastFailures = store.listFailures();
      } catch (err) {
        if (!isStoreFault(err)) throw err;
      }
      return {
        queued: queue.length + rerun.size,
        inFlight: running.size,
        failures: lastFailures,
        scheduledRetries: retryTimers.size,
        hookErrors,
        unrecordedFailures: unrecorded,
        storeFaultRetries: storeFaults.size,
      };
    },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      for (const timer of retryTimers.values()) clearTimeout(timer);
      retryTimers.clear();
      // The outbox catches up with the store at the next start.
      for (const timer of hookRetryTimers) clearTimeout(timer);
      hookRetryTimers.clear();
      // Queued and running studies stay in the stored queue; the next start runs them. Reruns asked
      // for are kept until their run ends, so that it leaves the study in the stored queue.
      queue.length = 0;
      queued.clear();
      while (running.size > 0) {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
      notifyIdle();
    },
  };
}
