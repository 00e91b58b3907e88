/**
 * Follows Orthanc's change log (`GET /changes?since=N&limit=M`) so that studies which became
 * stable — or were deleted — while the bridge was down are handled when it comes back (SPEC §4,
 * Change feed). `StableStudy` queues a sync; `Deleted` of a Study tombstones it, using the
 * Orthanc id → Study Instance UID map recorded when the study was seen stable (a deleted study
 * can no longer be asked from Orthanc). The cursor is stored after every page, so a restart
 * resumes where the last run stopped.
 *
 * A page's stable studies are placed with the map first (an Orthanc id always stands for the same
 * study, so a known study needs no lookup, though it is queued again: it may have changed); the
 * rest are asked from Orthanc together (study-lookup.ts). A page's writes (ids mapped, studies
 * queued, deletions, the cursor) are one transaction: one fsync a page, not one each.
 *
 * Orthanc 1.10 (SQLite index) removes a deleted study's entries from the change log and writes
 * no `Deleted` entry for it (observed against the Debian build), so in practice deletions reach
 * the bridge through the Lua deletion webhook or the next reconciliation; `Deleted` entries are
 * still honoured for index back-ends that log them.
 */
import type { AxiosInstance } from 'axios';
import { createOrthancHttp } from '../orthanc-http.js';
import { isStoreFault } from '../store/faults.js';
import { isValidUid } from '../../dicomweb/uid.js';
import type { BridgeSyncService } from '../sync/service.js';
import type { StudyStore } from '../types.js';
import { errorMessage, type BridgeLogger } from '../sync/logger.js';
import { ChangesPageSchema, isOrthancId, type OrthancChange } from './orthanc-changes.js';
import { createStudyLookup, type StudyAnswer } from './study-lookup.js';

export const DEFAULT_CURSOR_NAME = 'orthanc-changes';

export interface ChangeFeedStore extends Pick<StudyStore, 'getCursor' | 'setCursor'> {
  /** Runs `work` in one transaction (nested writes join it); throws what `work` threw, having rolled it back. */
  inTransaction<T>(work: () => T): T;
  mapOrthancStudyIds(pairs: ReadonlyArray<readonly [orthancId: string, studyInstanceUid: string]>): void;
  studyUidForOrthancId(orthancId: string): string | undefined;
}

export interface ChangeFeedFollowerOptions {
  /** Orthanc REST root, e.g. `http://127.0.0.1:8042`. */
  orthancUrl: string;
  /** HTTP Basic credentials when Orthanc requires them. */
  auth?: { username: string; password: string };
  store: ChangeFeedStore;
  sync: Pick<BridgeSyncService, 'enqueueMany' | 'deleteStudy'>;
  /** Pause between polls once the log is read to its end; default 5 000 ms. */
  intervalMs?: number;
  /** `limit` of each `/changes` request; default 100 (Orthanc caps it at 10 000). */
  pageSize?: number;
  /** Per-request timeout; default 30 000 ms. */
  timeoutMs?: number;
  /** `GET /studies/{id}` requests at once when Orthanc has no `POST /tools/bulk-content`; default 8. */
  lookupConcurrency?: number;
  /**
   * Told each stable study queued, with its Orthanc id (the stability gate's hint) and, when this
   * poll looked the study up, its number of series then (how the sync reads its metadata).
   */
  onStableStudy?: (studyInstanceUid: string, orthancId: string, seriesCount: number | undefined) => void;
  /** Name of the cursor in the store; default `orthanc-changes`. */
  cursorName?: string;
  logger: BridgeLogger;
}

/** What one poll did, in counts. */
export interface PollSummary {
  pages: number;
  changes: number;
  stableStudies: number;
  /** Stable studies whose UID was asked from Orthanc (the others were known from the store). */
  lookedUp: number;
  deletedStudies: number;
  /** Changes that could not be acted on (study gone, unknown deleted study, malformed id or UID). */
  skipped: number;
  cursor: number;
}

export interface ChangeFeedFollower {
  /** Reads the change log from the stored cursor to its end; rejects on an Orthanc or network error (the cursor keeps the progress made). */
  pollOnce(): Promise<PollSummary>;
  /** Polls now and then every `intervalMs`; errors are logged and retried on the next tick. */
  start(): void;
  /** Stops polling and waits for a poll in progress. */
  stop(): Promise<void>;
  /**
   * Resolves once the first poll after `start` has ended, having read the log to its end or
   * failed (or the follower was stopped before): what the feed queues at start-up is queued then.
   */
  firstPoll(): Promise<void>;
  status(): { running: boolean; cursor: number; consecutiveErrors: number; lastError?: string; lastPollAt?: string };
}

const isStableStudy = (change: OrthancChange): boolean => change.ResourceType === 'Study' && change.ChangeType === 'StableStudy';
const isDeletedStudy = (change: OrthancChange): boolean => change.ResourceType === 'Study' && change.ChangeType === 'Deleted';

function normalizeOrthancUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Orthanc URL must use http or https: ${raw}`);
  return url.href.replace(/\/+$/, '');
}

export function createChangeFeedFollower(options: ChangeFeedFollowerOptions): ChangeFeedFollower {
  const { store, sync, logger } = options;
  const intervalMs = options.intervalMs ?? 5000;
  const pageSize = options.pageSize ?? 100;
  const cursorName = options.cursorName ?? DEFAULT_CURSOR_NAME;
  const http: AxiosInstance = createOrthancHttp({
    baseURL: normalizeOrthancUrl(options.orthancUrl),
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.auth !== undefined ? { auth: options.auth } : {}),
    defaults: { headers: { Accept: 'application/json' } },
  });

  const lookup = createStudyLookup({ http, concurrency: options.lookupConcurrency ?? 8, logger });

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let running = false;
  let consecutiveErrors = 0;
  let lastError: string | undefined;
  let lastPollAt: string | undefined;
  let firstPollEnded: () => void = () => undefined;
  const firstPoll = new Promise<void>((resolve) => (firstPollEnded = resolve));

  /**
   * What is known of each stable study of the page: the store's map, then one lookup in Orthanc
   * for the rest, whose ids are to be mapped (`pairs`) with the page's other writes.
   */
  async function stableStudiesOf(
    changes: readonly OrthancChange[],
    summary: PollSummary,
  ): Promise<{ answers: Map<string, StudyAnswer>; pairs: Array<[string, string]> }> {
    const answers = new Map<string, StudyAnswer>();
    const pairs: Array<[string, string]> = [];
    const unknown = new Set<string>();
    for (const change of changes) {
      if (!isStableStudy(change) || !isOrthancId(change.ID) || answers.has(change.ID)) continue;
      const uid = store.studyUidForOrthancId(change.ID);
      if (uid === undefined) unknown.add(change.ID);
      else answers.set(change.ID, { kind: 'found', studyInstanceUid: uid });
    }
    if (unknown.size === 0) return { answers, pairs };
    summary.lookedUp += unknown.size;
    for (const [id, answer] of await lookup.resolve([...unknown])) {
      answers.set(id, answer);
      if (answer.kind === 'found' && isValidUid(answer.studyInstanceUid)) pairs.push([id, answer.studyInstanceUid]);
    }
    return { answers, pairs };
  }

  /** Stable studies of the page being read, queued together (one store write) before the cursor moves. */
  let stable: string[] = [];

  function flushStable(): void {
    const uids = stable;
    stable = [];
    if (uids.length > 0) sync.enqueueMany(uids, 'changes');
  }

  /** Throws the lookup's error at a stable study Orthanc could not be asked about. */
  function handle(change: OrthancChange, stableStudies: ReadonlyMap<string, StudyAnswer>, summary: PollSummary): void {
    if (!isStableStudy(change) && !isDeletedStudy(change)) return;
    if (!isOrthancId(change.ID)) {
      summary.skipped += 1;
      logger.warn({ seq: change.Seq, changeType: change.ChangeType }, 'change with a malformed Orthanc id skipped');
      return;
    }
    if (isStableStudy(change)) {
      const answer = stableStudies.get(change.ID);
      if (answer === undefined) throw new Error(`stable study ${change.ID} (change ${change.Seq}) was not looked up`);
      if (answer.kind === 'failed') throw answer.error;
      if (answer.kind === 'gone' || !isValidUid(answer.studyInstanceUid)) {
        summary.skipped += 1;
        logger.info(
          { seq: change.Seq, orthancId: change.ID, reason: answer.kind === 'gone' ? 'no longer in Orthanc' : 'malformed Study Instance UID' },
          'stable study skipped',
        );
        return;
      }
      options.onStableStudy?.(answer.studyInstanceUid, change.ID, answer.seriesCount);
      stable.push(answer.studyInstanceUid);
      summary.stableStudies += 1;
      return;
    }
    // A deletion is applied after the syncs queued before it, in log order.
    flushStable();
    const uid = store.studyUidForOrthancId(change.ID);
    if (uid === undefined) {
      summary.skipped += 1;
      logger.info({ seq: change.Seq, orthancId: change.ID }, 'deleted study was never seen by the bridge; skipped');
      return;
    }
    sync.deleteStudy(uid);
    summary.deletedStudies += 1;
  }

  async function pollOnce(): Promise<PollSummary> {
    let since = store.getCursor(cursorName) ?? 0;
    const summary: PollSummary = { pages: 0, changes: 0, stableStudies: 0, lookedUp: 0, deletedStudies: 0, skipped: 0, cursor: since };
    for (;;) {
      const response = await http.get('/changes', { params: { since, limit: pageSize } });
      const page = ChangesPageSchema.parse(response.data);
      summary.pages += 1;
      if (page.Changes.length === 0 && page.Last < since) {
        // Orthanc's log restarted below our cursor (a new or reset index): read it from the start.
        logger.warn({ cursor: since, orthancLast: page.Last }, 'Orthanc change log is behind the stored cursor; reading it from the start');
        since = 0;
        store.setCursor(cursorName, 0);
        continue;
      }
      const { answers, pairs } = await stableStudiesOf(page.Changes, summary);
      let failure: { error: unknown } | undefined;
      // The page's writes — ids mapped, studies queued, deletions, the cursor — commit together: one fsync a page.
      store.inTransaction(() => {
        store.mapOrthancStudyIds(pairs);
        try {
          for (const change of page.Changes) {
            handle(change, answers, summary);
            summary.changes += 1;
            since = Math.max(since, change.Seq);
          }
        } catch (error) {
          // A store fault may have rolled the transaction back already: none of the page is kept.
          if (isStoreFault(error)) throw error;
          // Otherwise progress made before the failing change is kept, so that change is retried alone.
          failure = { error };
        }
        // The studies the cursor moves past are queued in the same transaction: moving it never loses one.
        flushStable();
        if (since !== summary.cursor) store.setCursor(cursorName, since);
      });
      summary.cursor = since;
      if (failure !== undefined) throw failure.error;
      if (page.Done || page.Changes.length === 0) break;
    }
    if (summary.changes > 0) logger.info({ ...summary }, 'Orthanc change log read');
    return summary;
  }

  function tick(): void {
    timer = undefined;
    const poll = pollOnce().then(
      () => {
        consecutiveErrors = 0;
        lastError = undefined;
      },
      (err: unknown) => {
        consecutiveErrors += 1;
        lastError = errorMessage(err);
        logger.error({ err: lastError, consecutiveErrors }, 'reading the Orthanc change log failed; retrying at the next poll');
      },
    );
    current = poll.finally(() => {
      lastPollAt = new Date().toISOString();
      current = undefined;
      firstPollEnded();
      if (running) timer = setTimeout(tick, intervalMs);
    });
  }

  return {
    pollOnce,
    start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await current;
      firstPollEnded();
    },
    firstPoll: () => firstPoll,
    status() {
      const status: ReturnType<ChangeFeedFollower['status']> = {
        running,
        cursor: store.getCursor(cursorName) ?? 0,
        consecutiveErrors,
      };
      if (lastError !== undefined) status.lastError = lastError;
      if (lastPollAt !== undefined) status.lastPollAt = lastPollAt;
      return status;
    },
  };
}
