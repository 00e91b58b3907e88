/**
 * Builds the whole bridge for `dicom2fhir serve` from a validated configuration: the store, the
 * DICOMweb client, the sync service (with the same converter as the folder CLI), the Orthanc
 * change-feed follower, the scheduled QIDO-RS reconciler and the HTTP API; and stops them in the
 * order that loses nothing: no new requests, no new triggers, in-flight syncs finished (bounded),
 * store closed.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.js';
import type { ConvertOptions } from '../convert/options.js';
import { createDicomWebClient, fetchStudyDatasets, searchStudies } from '../dicomweb/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { isLoopbackHost } from '../config/loopback.js';
import { createHttpListener, createHttpServer, type ReadinessCheck } from '../server/index.js';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../server/auth/access-token.js';
import type { OAuthDiscovery } from '../server/auth/discovery.js';
import { auditReadiness, createAuditLog } from '../server/audit/audit-log.js';
import { createChangeFeedFollower, type ChangeFeedFollower } from './changes/index.js';
import {
  createConfirmAbsent,
  createOrthancRest,
  createQuietPeriod,
  createReconciler,
  createOrthancIdHints,
  createOrthancStudyListing,
  createStabilityGate,
  createStudyListing,
  heldDeletionsReason,
  startStartupCheck,
  type Reconciler,
  type ReconcileSummary,
  type StartupCheck,
} from './reconcile/index.js';
import { createReconverter, reconversionReason } from './reconvert/index.js';
import { openStudyStore, storeReadiness, type BridgeStore } from './store/index.js';
import { createSyncService, errorMessage, type BridgeSyncService } from './sync/index.js';
import { createWebhookStudyIndex } from './webhook-study-index.js';
import { convertStudy } from '../convert/index.js';
import { createBridgePush } from '../push/index.js';

/** How long `/readyz` waits for Orthanc's `GET /system`. */
export const READY_TIMEOUT_MS = 2000;
/** How long shutdown waits for in-flight syncs before closing the store anyway. */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

export interface Bridge {
  /** `http://host:port` the API listens on (the real port when the configured one was 0). */
  url: string;
  store: BridgeStore;
  sync: BridgeSyncService;
  changes?: ChangeFeedFollower;
  reconciler: Reconciler;
  /** Resolves once the start-up comparison of the store with the PACS's study list has completed. */
  startupCheck: Promise<ReconcileSummary>;
  /** Stops everything; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartBridgeOptions {
  logger?: Logger;
  shutdownTimeoutMs?: number;
}

function basicAuth(config: Config): { username: string; password: string } | undefined {
  return config.orthancUsername !== undefined && config.orthancPassword !== undefined
    ? { username: config.orthancUsername, password: config.orthancPassword }
    : undefined;
}

/** Orthanc `GET /system` (its cheapest authenticated call) within `READY_TIMEOUT_MS`. */
export function orthancCheck(config: Config, timeoutMs = READY_TIMEOUT_MS): () => Promise<void> {
  const auth = basicAuth(config);
  const headers: Record<string, string> =
    auth === undefined ? {} : { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  return async () => {
    const response = await fetch(`${config.orthancUrl}/system`, { headers, signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
      throw new Error(`Orthanc GET /system failed: ${errorMessage(error)}`, { cause: error });
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`Orthanc GET /system answered HTTP ${response.status}`);
  };
}

/** OAuth 2.0 mode from the settings (validated together by the configuration). */
function oauthOf(config: Config): { verify: AccessTokenVerifier; discovery: OAuthDiscovery } | undefined {
  const { oauthIssuer: issuer, oauthAudience: audience, oauthTokenUrl: tokenUrl } = config;
  if (issuer === undefined || audience === undefined || tokenUrl === undefined) return undefined;
  const keys =
    config.oauthJwksUrl !== undefined ? { jwksUrl: config.oauthJwksUrl } : { publicKeyPem: readFileSync(config.oauthPublicKeyFile as string, 'utf8') };
  return {
    verify: createAccessTokenVerifier({ issuer, audience, ...keys, jwksCooldownMs: config.oauthJwksCooldown, clockSkewMs: config.oauthClockSkew }),
    discovery: {
      issuer,
      tokenUrl,
      ...(config.oauthJwksUrl === undefined ? {} : { jwksUrl: config.oauthJwksUrl }),
      ...(config.oauthAuthorizeUrl === undefined ? {} : { authorizeUrl: config.oauthAuthorizeUrl }),
    },
  };
}

function withTimeout(promise: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startBridge(config: Config, options: StartBridgeOptions = {}): Promise<Bridge> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const auth = basicAuth(config);
  const store = openStudyStore(config.dataDir, { output: { fhirVersion: config.fhirVersion } });
  const dicomWeb = createDicomWebClient({ baseUrl: config.dicomWebUrl, ...(auth ?? {}) });
  const convertOptions: ConvertOptions = {
    fhirVersion: config.fhirVersion,
    format: 'imagingstudy',
    // The Endpoint's address is the URL clients use (SPEC §2.1), which may differ from the bridge's own.
    endpoint: { kind: 'dicomweb', baseUrl: config.publicDicomWebUrl ?? config.dicomWebUrl },
    ...(config.timezone === undefined ? {} : { timezone: config.timezone }),
    maxInstancesListed: config.maxInstancesListed,
    ...(config.patientIdSystem === undefined ? {} : { patientIdentifierSystem: config.patientIdSystem }),
    ...(config.accessionSystem === undefined ? {} : { accessionSystem: config.accessionSystem }),
    ...(config.issuerSystemsFile === undefined ? {} : { issuerSystems: config.issuerSystemsFile }),
    patientMode: config.patientMode,
  };
  const push =
    config.fhirServerUrl === undefined
      ? undefined
      : createBridgePush({
          settings: {
            url: config.fhirServerUrl,
            timeoutMs: config.fhirServerTimeout,
            ...(config.fhirServerToken === undefined ? {} : { token: config.fhirServerToken }),
            ...(config.fhirServerUsername === undefined ? {} : { username: config.fhirServerUsername }),
            ...(config.fhirServerPassword === undefined ? {} : { password: config.fhirServerPassword }),
          },
          store,
          logger: logger.child({ component: 'push' }),
          convert: convertStudy,
          convertOptions,
          maxAttempts: config.pushMaxAttempts,
        });
  const orthancRest = createOrthancRest({ orthancUrl: config.orthancUrl, ...(auth === undefined ? {} : { auth }) });
  // A study not stable yet is looked at again once its quiet period has passed (non-Orthanc sources).
  const quietPeriod = createQuietPeriod({ quietMs: config.reconcileQuietPeriod, onDue: (uid) => sync.enqueue(uid, 'reconcile') });
  // What the change feed found of each study: the gate asks IsStable without a /tools/lookup first, a one-series study is read in one request.
  const orthancIdHints = createOrthancIdHints();
  const checkStability = createStabilityGate({ orthanc: orthancRest, quietPeriod, hints: orthancIdHints, logger: logger.child({ component: 'stability' }) });
  const sync = createSyncService({
    checkStability,
    ...(push === undefined ? {} : { onStored: push.hooks.onStored, onDeleted: push.hooks.onDeleted }),
    store,
    // A study the change feed saw with one series is read in one request, without a QIDO-RS series listing first.
    fetchStudy: (uid) => fetchStudyDatasets(dicomWeb, uid, orthancIdHints.get(uid)?.seriesCount === 1 ? { seriesConcurrency: 1 } : {}),
    convertOptions,
    logger: logger.child({ component: 'sync' }),
    concurrency: config.syncConcurrency,
  });
  const changes =
    config.changesPollInterval > 0
      ? createChangeFeedFollower({
          orthancUrl: config.orthancUrl,
          ...(auth === undefined ? {} : { auth }),
          store,
          sync,
          intervalMs: config.changesPollInterval,
          onStableStudy: (uid, orthancId, seriesCount) => orthancIdHints.remember(uid, seriesCount === undefined ? { orthancId } : { orthancId, seriesCount }),
          logger: logger.child({ component: 'changes' }),
        })
      : undefined;
  // Built even with SYNC_CRON=off: it also runs at start-up and after an unmapped deletion.
  const reconciler = createReconciler({
    // Orthanc's own listing where ORTHANC_URL answers as Orthanc: a fraction of QIDO-RS's cost to Orthanc.
    searchStudies: createStudyListing({
      orthanc: createOrthancStudyListing({ orthancUrl: config.orthancUrl, ...(auth === undefined ? {} : { auth }) }),
      qido: (query) => searchStudies(dicomWeb, query),
      logger: logger.child({ component: 'reconcile' }),
    }),
    store,
    sync,
    confirmAbsent: createConfirmAbsent({ orthanc: orthancRest, fetchStudy: (uid) => fetchStudyDatasets(dicomWeb, uid) }),
    deletionGuardShare: config.deletionGuardShare,
    ...(config.syncCron === 'off' ? {} : { cron: config.syncCron }),
    logger: logger.child({ component: 'reconcile' }),
  });

  // `/readyz` conditions beyond the image source, the store's ping, failed syncs and the outbox:
  // one entry per condition (see src/server/routes/health.ts and the README's /readyz table).
  const reconverter = createReconverter({ store, sync, logger: logger.child({ component: 'reconvert' }) });
  const readiness: ReadinessCheck[] = [
    storeReadiness(store),
    () => reconversionReason(reconverter.remaining()),
    () => {
      const held = reconciler.heldDeletions();
      return held === undefined ? undefined : heldDeletionsReason(held);
    },
  ];

  // A stored study whose bytes fail their checksum is fetched and converted again.
  store.health.onCorruption((uid) => {
    try {
      sync.enqueue(uid, 'repair');
    } catch (error) {
      logger.error({ studyInstanceUid: uid, error: errorMessage(error) }, 're-sync of a corrupted study could not be queued; its next read queues it again');
    }
  });

  const httpLogger = logger.child({ component: 'http' });
  const audit = createAuditLog({ logger: logger.child({ component: 'audit' }), ...(config.auditLog === undefined ? {} : { file: config.auditLog }) });
  readiness.push(auditReadiness(audit));
  const oauth = oauthOf(config);
  const credentials = config.apiToken !== undefined || oauth !== undefined;
  const listener = createHttpListener({
    store,
    sync,
    orthancStudies: createWebhookStudyIndex(store, orthancIdHints),
    reconcileSoon: () => {
      reconciler.runOnce().then(
        (summary) => logger.info({ listed: summary.listed, deleted: summary.deleted, complete: summary.complete }, 'reconciliation after an unmapped deletion'),
        (error: unknown) => logger.warn({ error: errorMessage(error) }, 'reconciliation after an unmapped deletion failed; the next scheduled run retries'),
      );
    },
    checkSource: orthancCheck(config),
    readiness,
    deletions: reconciler,
    fhirVersion: config.fhirVersion,
    ...(config.apiToken === undefined ? {} : { apiToken: config.apiToken }),
    ...(oauth === undefined ? {} : { oauth }),
    // The configuration refused to start without credentials off loopback unless ALLOW_ANONYMOUS_READS.
    anonymousReads: !credentials || config.allowAnonymousReads,
    anonymousAdmin: false,
    audit,
    ...(config.webhookSecret === undefined ? {} : { webhookSecret: config.webhookSecret }),
    ...(push === undefined ? {} : { push }),
    logger: httpLogger,
  });
  const server: Server = createHttpServer(listener).listen(config.port, config.host);
  await once(server, 'listening').catch(async (error: unknown) => {
    // Nothing was started yet but the store: close it so the database is left clean (port in use, bad host).
    await sync.stop();
    await audit.close();
    store.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  push?.start();
  changes?.start();
  reconciler.start();
  reconverter.start();
  // After the change feed's first pass: the studies it finds are queued by then, so the listing
  // does not queue them a second time while their syncs run.
  const startupCheck: StartupCheck = startStartupCheck({
    runOnce: () => reconciler.runOnce(),
    ...(changes === undefined ? {} : { after: changes.firstPoll() }),
    logger: logger.child({ component: 'reconcile' }),
  });
  logger.info({ url, dicomWebUrl: config.dicomWebUrl, fhirVersion: config.fhirVersion, changeFeed: changes !== undefined, reconcile: config.syncCron }, 'bridge started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info({ inFlight: sync.status().inFlight, queued: sync.status().queued }, 'bridge stopping');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await startupCheck.stop();
      reconverter.stop();
      await Promise.all([changes?.stop(), reconciler.stop()]);
      quietPeriod.stop();
      const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
      await withTimeout(sync.stop(), timeoutMs, () => logger.warn({ inFlight: sync.status().inFlight, timeoutMs }, 'in-flight syncs did not finish in time; they are retried at the next start'));
      await push?.stop();
      server.closeAllConnections();
      await closed;
      await audit.close();
      store.close();
      logger.info({}, 'bridge stopped');
    })());

  return { url, store, sync, ...(changes === undefined ? {} : { changes }), reconciler, startupCheck: startupCheck.done, stop };
}
