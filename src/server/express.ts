/**
 * The Express adapter: turns each framework-free handler into a route, writes its
 * `[outcome, body, headers]` as `application/fhir+json`, and owns the one error handler that
 * answers every thrown error as an OperationOutcome (FHIR R4 §3.1.0.4.3). Request logs carry the
 * method, path and status only: query strings can hold accession numbers.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { StudyStore, SyncService } from '../bridge/types.js';
import type { FhirVersion } from '../convert/options.js';
import type { PushOutboxStatus, RetryRequest } from '../push/outbox.js';
import { AccessDeniedError, createAuthorizer, type Authorizer } from './auth/authorizer.js';
import type { AccessTokenVerifier } from './auth/access-token.js';
import { smartConfiguration, type OAuthDiscovery } from './auth/discovery.js';
import { accessGuard } from './auth/guard.js';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import { auditTrail, noteAnsweredStudies } from './audit/express-audit.js';
import { errorText } from './error-text.js';
import { checkFormat, FHIR_JSON } from './format.js';
import { PHI_HEADERS } from './phi-headers.js';
import { createRequestLog } from './request-log.js';
import { allOk, getStatus, methodNotAllowed, normalizeOperationOutcome, notFound, OperationOutcomeError } from './outcomes.js';
import { first, type FhirRequest, type FhirResponse } from './request.js';
import { healthz, pushStatus, readyz, type ReadinessCheck } from './routes/health.js';
import { confirmDeletions, type AdminDeps } from './routes/admin.js';
import { pushRetry } from './routes/push-retry.js';
import { capabilities } from './routes/metadata.js';
import { historyImagingStudy, readImagingStudy, vreadImagingStudy } from './routes/read.js';
import { searchFormParameters, searchImagingStudy } from './routes/search.js';
import { authorizeWebhook, deletedStudyWebhook, stableStudyWebhook, type OrthancStudyIndex } from './routes/webhooks.js';

export interface HttpAppDeps {
  store: StudyStore;
  sync: SyncService;
  orthancStudies: OrthancStudyIndex;
  reconcileSoon(): void;
  /** Resolves when the image source answers (Orthanc `GET /system`) within its timeout. */
  checkSource(): Promise<void>;
  fhirVersion: FhirVersion;
  /** When set, `Authorization: Bearer <apiToken>` opens every ImagingStudy and admin request. */
  apiToken?: string;
  /** OAuth 2.0 mode: JWT access tokens with SMART scopes, and what discovery tells clients. */
  oauth?: { verify: AccessTokenVerifier; discovery: OAuthDiscovery };
  /**
   * Requests without credentials may read and search. Default: only when neither `apiToken` nor
   * `oauth` is set (the configuration refuses that off loopback unless ALLOW_ANONYMOUS_READS).
   */
  anonymousReads?: boolean;
  /** Requests without credentials may use the admin endpoints. Default: never (they confirm deletions and retry refused pushes). */
  anonymousAdmin?: boolean;
  /** Built from the settings above when not given; the listener shares one with the direct read. */
  authorizer?: Authorizer;
  /** Where reads and searches are audited; default: the log only. */
  audit?: AuditLog;
  /** When unset the webhook routes answer 503. */
  webhookSecret?: string;
  logger: Logger;
  /** The outbox of the external FHIR server, when the bridge publishes to one (`/readyz`, `/push/status`). */
  push?: { status(): PushOutboxStatus; retry?(request: RetryRequest): number };
  /** Conditions of `/readyz` beyond the image source, the store's ping, failed syncs and the outbox (see routes/health.ts). */
  readiness?: readonly ReadinessCheck[];
  /** Held deletions a person confirms (`POST /admin/confirm-deletions`, an admin endpoint). */
  deletions?: AdminDeps['deletions'];
  /** Largest accepted request body; webhooks carry two ids. Default `16kb`. */
  bodyLimit?: string;
}

const JSON_CONTENT = 'application/json; charset=utf-8';

function queryOf(req: Request): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URL(req.originalUrl, 'http://localhost').searchParams) {
    (query[name] ??= []).push(value);
  }
  return query;
}

function headersOf(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function toFhirRequest(req: Request): FhirRequest {
  return {
    method: req.method,
    params: { ...(req.params as Record<string, string>) },
    query: queryOf(req),
    headers: headersOf(req),
    body: req.body as unknown,
    baseUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
  };
}

/** The authorizer the deps describe (see `HttpAppDeps`). */
export function authorizerOf(deps: HttpAppDeps): Authorizer {
  if (deps.authorizer !== undefined) return deps.authorizer;
  const open = deps.apiToken === undefined && deps.oauth === undefined;
  return createAuthorizer({
    ...(deps.apiToken === undefined ? {} : { apiToken: deps.apiToken }),
    ...(deps.oauth === undefined ? {} : { accessTokens: deps.oauth.verify }),
    anonymousReads: deps.anonymousReads ?? open,
    anonymousAdmin: deps.anonymousAdmin ?? false,
  });
}

function send(res: Response, [outcome, body, headers]: FhirResponse, contentType: string): void {
  const status = getStatus(outcome);
  noteAnsweredStudies(res, body);
  res.status(status);
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  if (status === 304) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', contentType);
  res.send(JSON.stringify(body ?? outcome));
}

interface RouteOptions {
  contentType?: string;
}

function route(handler: (req: FhirRequest) => Promise<FhirResponse>, options: RouteOptions = {}): RequestHandler {
  return async (req, res) => {
    const fhirRequest = toFhirRequest(req);
    checkFormat(first(fhirRequest.query._format), (options.contentType ?? FHIR_JSON) === FHIR_JSON ? fhirRequest.headers.accept : undefined);
    send(res, await handler(fhirRequest), options.contentType ?? FHIR_JSON);
  };
}

/** 405 with `Allow` for a method the path does not support (RFC 9110 §15.5.6). */
function notAllowed(allow: string): RequestHandler {
  return (req, res) => send(res, [methodNotAllowed(req.method, allow), undefined, { Allow: allow }], FHIR_JSON);
}

function requestLogger(logger: Logger): RequestHandler {
  const log = createRequestLog(logger);
  return (req, res, next) => {
    log(req.method, req.path, res);
    next();
  };
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const outcome = normalizeOperationOutcome(err);
    const status = getStatus(outcome);
    if (status >= 500) {
      const cause = err instanceof OperationOutcomeError ? err.cause : err;
      // 503 is an outage of the image source, expected and transient; anything else is a defect.
      logger[status === 503 ? 'warn' : 'error']({ path: req.path, status, error: errorText(cause) }, 'request failed');
    }
    const challenge = err instanceof AccessDeniedError ? err.challenge : status === 401 ? 'Bearer' : undefined;
    const headers: Record<string, string> = challenge === undefined ? {} : { 'WWW-Authenticate': challenge };
    send(res, [outcome, undefined, headers], FHIR_JSON);
  };
}

export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(deps.logger));
  app.use((_req, res, next) => {
    res.set(PHI_HEADERS);
    next();
  });
  const startedAt = new Date().toISOString();
  const readDeps = { store: deps.store, sync: deps.sync };
  const webhookDeps = {
    webhookSecret: deps.webhookSecret,
    sync: deps.sync,
    orthancStudies: deps.orthancStudies,
    reconcileSoon: deps.reconcileSoon,
  };
  // The secret is checked before the body is read, so an unauthenticated client learns nothing
  // from body parsing. Orthanc's Lua HttpPost may omit Content-Type: every webhook body is JSON.
  const webhookGate: RequestHandler = (req, _res, next) => {
    authorizeWebhook(req.get('authorization'), deps.webhookSecret);
    next();
  };
  const webhookBody = [webhookGate, express.json({ limit: deps.bodyLimit ?? '16kb', type: () => true })];
  const authorizer = authorizerOf(deps);
  const audit = deps.audit ?? createAuditLog({ logger: deps.logger });
  // Every admin endpoint goes behind `admin`: API_TOKEN or the scope system/dicom2fhir.admin.
  const admin = [auditTrail(audit, 'admin'), accessGuard(authorizer, 'admin')];
  const read = [auditTrail(audit, 'read'), accessGuard(authorizer, 'read')];
  const vread = [auditTrail(audit, 'vread'), accessGuard(authorizer, 'read')];
  const history = [auditTrail(audit, 'history'), accessGuard(authorizer, 'read')];
  const search = [auditTrail(audit, 'search', true), accessGuard(authorizer, 'search')];
  const oauth = deps.oauth;

  app.get('/healthz', route(() => healthz(), { contentType: JSON_CONTENT }));
  app.get('/readyz', route(() => readyz(deps), { contentType: JSON_CONTENT }));
  const push = deps.push;
  if (push !== undefined) app.get('/push/status', admin, route(() => pushStatus(push), { contentType: JSON_CONTENT }));
  if (push?.retry !== undefined) {
    const retry = push.retry.bind(push);
    const body = express.json({ limit: deps.bodyLimit ?? '16kb', type: () => true });
    app.post('/push/retry', admin, body, route((req) => pushRetry(req, { retry }), { contentType: JSON_CONTENT }));
  }
  const metadataDeps = { fhirVersion: deps.fhirVersion, requiresToken: deps.apiToken !== undefined, startedAt, ...(oauth === undefined ? {} : { oauth: oauth.discovery }) };
  app.get('/metadata', route((req) => capabilities(req, metadataDeps)));
  app.all('/metadata', notAllowed('GET, HEAD'));
  if (oauth !== undefined) {
    app.get('/.well-known/smart-configuration', route(async () => [allOk, smartConfiguration(oauth.discovery)], { contentType: JSON_CONTENT }));
  }
  app.get('/ImagingStudy', search, route((req) => searchImagingStudy(req, readDeps)));
  app.all('/ImagingStudy', notAllowed('GET, HEAD'));
  // The form body is read after the access check, as text: repeated parameters keep their order.
  const searchForm = express.text({ limit: deps.bodyLimit ?? '16kb', type: () => true });
  app.post(
    '/ImagingStudy/_search',
    search,
    searchForm,
    route((req) => searchImagingStudy({ ...req, query: searchFormParameters(req.query, req.headers['content-type'], req.body) }, readDeps)),
  );
  app.get('/ImagingStudy/_search', search, route((req) => searchImagingStudy(req, readDeps)));
  app.all('/ImagingStudy/_search', notAllowed('GET, HEAD, POST'));
  app.get('/ImagingStudy/:id/_history', history, route((req) => historyImagingStudy(req, readDeps)));
  app.all('/ImagingStudy/:id/_history', notAllowed('GET, HEAD'));
  app.get('/ImagingStudy/:id/_history/:vid', vread, route((req) => vreadImagingStudy(req, readDeps)));
  app.all('/ImagingStudy/:id/_history/:vid', notAllowed('GET, HEAD'));
  app.get('/ImagingStudy/:id', read, route((req) => readImagingStudy(req, readDeps)));
  app.all('/ImagingStudy/:id', notAllowed('GET, HEAD'));
  const deletions = deps.deletions;
  if (deletions !== undefined) app.post('/admin/confirm-deletions', admin, route(() => confirmDeletions({ deletions }), { contentType: JSON_CONTENT }));
  app.post('/orthanc/stable-study', webhookBody, route((req) => stableStudyWebhook(req, webhookDeps)));
  app.post('/orthanc/deleted-study', webhookBody, route((req) => deletedStudyWebhook(req, webhookDeps)));
  app.use(() => {
    throw new OperationOutcomeError(notFound);
  });
  app.use(errorHandler(deps.logger));
  return app;
}
