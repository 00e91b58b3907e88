/**
 * Background re-conversion (SPEC §4: each version records the FHIR and converter versions that
 * made it; a change of either re-converts, never mixes). After `FHIR_VERSION` or the converter's
 * output schema changed, every stored study made otherwise is queued for a fresh sync — fetched
 * from the image source and converted again — a few at a time, and only while the sync queue is
 * short, so the PACS is not flooded and new studies go first. Meanwhile a read converts such a
 * study on demand and search leaves it out (never served in the wrong version).
 */
import type { BridgeStore } from '../store/sqlite-store.js';
import type { BridgeSyncService } from '../sync/service.js';
import { errorMessage, type BridgeLogger } from '../sync/logger.js';

export interface ReconverterOptions {
  store: Pick<BridgeStore, 'listStaleStudies' | 'countStaleStudies'>;
  sync: Pick<BridgeSyncService, 'enqueueMany' | 'status'>;
  logger: BridgeLogger;
  /** Studies queued per tick, and the queue length above which a tick queues nothing; default 4. */
  batch?: number;
  /** Pause between ticks; default 1 000 ms. */
  intervalMs?: number;
}

export interface Reconverter {
  start(): void;
  stop(): void;
  /** Studies still stored in another FHIR version or converter schema. */
  remaining(): number;
}

/** The `/readyz` reason while studies wait for re-conversion (degraded: reads convert them on demand). */
export function reconversionReason(remaining: number): { code: string; impact: 'degraded'; message: string } | undefined {
  if (remaining === 0) return undefined;
  return {
    code: 'reconversion',
    impact: 'degraded',
    message: `${remaining} studies stored by another FHIR version or converter schema wait for re-conversion (reads convert them on demand; search leaves them out)`,
  };
}

export function createReconverter(options: ReconverterOptions): Reconverter {
  const { store, sync, logger } = options;
  const batch = options.batch ?? 4;
  const intervalMs = options.intervalMs ?? 1000;
  /** Queued once by this run: one that stays stale (gone at the source, failing) is not queued again. */
  const queued = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  function tick(): void {
    timer = undefined;
    if (!running) return;
    try {
      if (sync.status().queued < batch) {
        const next = store.listStaleStudies(queued.size + batch).filter((uid) => !queued.has(uid)).slice(0, batch);
        if (next.length === 0) {
          logger.info({ queued: queued.size, remaining: store.countStaleStudies() }, 're-conversion done');
          running = false;
          return;
        }
        sync.enqueueMany(next, 'reconvert');
        for (const uid of next) queued.add(uid);
      }
    } catch (err) {
      // A store fault (shown in /readyz) or a stopped sync service: tried again at the next tick.
      logger.warn({ err: errorMessage(err) }, 're-conversion tick failed; retrying');
    }
    timer = setTimeout(tick, intervalMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      const remaining = store.countStaleStudies();
      if (remaining > 0) logger.info({ remaining }, 're-converting studies stored by another FHIR version or converter schema');
      timer = setTimeout(tick, 0);
    },
    stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    remaining: () => store.countStaleStudies(),
  };
}
