/** Assembles the bridge's push path from settings: client → outbox in the store database → sync-service hooks. */
import type { Database } from 'better-sqlite3';
import type { StudyStore } from '../bridge/types.js';
import type { Conversion, ConvertOptions } from '../convert/options.js';
import type { Dataset } from '../dicom/dataset.js';
import { createFhirClient } from './fhir-client.js';
import { createPushOutbox, type PushLogger, type PushOutbox, type PushOutboxStatus, type RetryRequest } from './outbox.js';
import { authFromOptions } from './post-bundle.js';
import type { BackoffPolicy } from './retry.js';
import { storedStudyBundle } from './stored-study-bundle.js';
import { pushSyncHooks, type PushSyncHooks } from './sync-hooks.js';

/** What an operator configures (env `FHIR_SERVER_URL`, `FHIR_SERVER_TOKEN` or `FHIR_SERVER_USERNAME`/`FHIR_SERVER_PASSWORD`, `FHIR_SERVER_TIMEOUT`). */
export interface BridgePushSettings {
  url: string;
  token?: string;
  username?: string;
  password?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

export interface BridgePushOptions {
  settings: BridgePushSettings;
  /**
   * The bridge's store: the outbox keeps its rows in `store.database`, beside the study
   * versions, and `start()` queues what the store holds that the outbox never queued.
   */
  store: Pick<StudyStore, 'listStudyInstanceUids' | 'getByStudyInstanceUid'> & { database: Database };
  logger: PushLogger;
  convert: (datasets: Dataset[], options: ConvertOptions) => Conversion;
  /** The sync service's convert options (endpoint, time zone…); the Bundle form is derived from them. */
  convertOptions: ConvertOptions;
  /** Between failed sends of one study; default 1 s doubling to 5 min. */
  backoff?: BackoffPolicy;
  /** Failed sends after which a study's push is parked; default 5. */
  maxAttempts?: number;
}

export interface BridgePush {
  outbox: PushOutbox;
  /** Pass as the sync service's `onStored` / `onDeleted`. */
  hooks: PushSyncHooks;
  status(): PushOutboxStatus;
  /** Parked pushes back in the queue (`POST /push/retry`). */
  retry(request?: RetryRequest): number;
  /** Catches up with the store (see `PushOutbox.catchUp`), then starts sending. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * One call for the bridge. The client retries a request once on its own (a blip); longer
 * outages are the outbox's business, which keeps the row and backs off, so the client's retries
 * stay short and a sync never waits on the FHIR server.
 */
export function createBridgePush(options: BridgePushOptions): BridgePush {
  const auth = authFromOptions(options.settings);
  const client = createFhirClient({
    baseUrl: options.settings.url,
    retries: 1,
    ...(auth === undefined ? {} : { auth }),
    ...(options.settings.timeoutMs === undefined ? {} : { timeoutMs: options.settings.timeoutMs }),
  });
  const outbox = createPushOutbox({
    database: options.store.database,
    client,
    logger: options.logger,
    buildBundle: storedStudyBundle,
    loadStudy: (uid) => options.store.getByStudyInstanceUid(uid),
    ...(options.convertOptions.patientMode === undefined ? {} : { patientMode: options.convertOptions.patientMode }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  const hooks = pushSyncHooks({ outbox, convert: options.convert, convertOptions: options.convertOptions });
  return {
    outbox,
    hooks,
    status: () => outbox.status(),
    retry: (request) => outbox.retry(request),
    start() {
      outbox.catchUp(options.store);
      outbox.start();
    },
    stop: () => outbox.stop(),
  };
}
