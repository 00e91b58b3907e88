/**
 * The start-up comparison of the store with the PACS's study list (SPEC §4, Start-up): one
 * reconciliation of every study right after the bridge starts, so deletions made while it was
 * down show as 410 within seconds rather than at the next scheduled run. A PACS that cannot be
 * listed yet is asked again with growing pauses until one listing completes.
 */
import { errorMessage, type BridgeLogger } from '../sync/logger.js';
import type { ReconcileSummary } from './reconciler.js';

export interface StartupCheckOptions {
  runOnce(): Promise<ReconcileSummary>;
  logger: BridgeLogger;
  /** First pause after a listing that did not complete; doubles up to `maxRetryMs`. Default 5 000 ms. */
  retryMs?: number;
  /** Default 300 000 ms. */
  maxRetryMs?: number;
  /** The first run waits for this (settled either way); `stop` ends the wait. */
  after?: Promise<unknown>;
}

export interface StartupCheck {
  /** Resolves with the first complete run. */
  readonly done: Promise<ReconcileSummary>;
  /** Stops retrying and waits for an attempt in progress. */
  stop(): Promise<void>;
}

export function startStartupCheck(options: StartupCheckOptions): StartupCheck {
  const { runOnce, logger } = options;
  const maxRetryMs = options.maxRetryMs ?? 300_000;
  let delayMs = options.retryMs ?? 5000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<unknown> = Promise.resolve();
  let resolveDone: (summary: ReconcileSummary) => void = () => undefined;
  const done = new Promise<ReconcileSummary>((resolve) => (resolveDone = resolve));
  const startedAt = Date.now();

  function retry(reason: string): void {
    if (stopped) return;
    logger.warn({ reason, retryInMs: delayMs }, 'start-up comparison with the PACS did not complete; trying again');
    timer = setTimeout(run, delayMs);
    delayMs = Math.min(delayMs * 2, maxRetryMs);
  }

  function run(): void {
    timer = undefined;
    attempt = runOnce().then(
      (summary) => {
        if (!summary.complete) return retry(summary.error ?? 'listing incomplete');
        logger.info({ ...summary, ms: Date.now() - startedAt }, 'start-up comparison with the PACS done');
        resolveDone(summary);
      },
      (err: unknown) => retry(errorMessage(err)),
    );
  }

  let stopWaiting: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (stopWaiting = resolve));
  const ignore = (): void => undefined;
  if (options.after === undefined) run();
  else
    attempt = Promise.race([options.after.then(ignore, ignore), stopSignal]).then(() => {
      if (!stopped) run();
    });
  return {
    done,
    async stop() {
      stopped = true;
      stopWaiting();
      if (timer !== undefined) clearTimeout(timer);
      // `run` may have replaced the attempt meanwhile: wait for the latest.
      let waited: Promise<unknown> | undefined;
      while (waited !== attempt) {
        waited = attempt;
        await waited;
      }
    },
  };
}
