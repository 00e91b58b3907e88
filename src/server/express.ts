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
import type { PushOutboxStatus } from '../push/outbox.js';
import { requireBearer } from './auth.js';
import { errorText } from './error-text.js';
import { checkFormat, FHIR_JSON } from './format.js';
import { createRequestLog } from './request-log.js';
import { getStatus, normalizeOperationOutcome, notFound, OperationOutcomeError } from './outcomes.js';
import { first, type FhirRequest, type FhirResponse } from './request.js';
import { healthz, pushStatus, readyz, type ReadinessCheck } from './routes/health.js';
import { capabilities } from './routes/metadata.js';
import { readImagingStudy } from './routes/read.js';
import { searchImagingStudy } from './routes/search.js';
import { authorizeWebhook, deletedStudyWebhook, stableStudyWebhook, type OrthancStudyIndex } from './routes/webhooks.js';

export interface HttpAppDeps {
  store: StudyStore;
  sync: SyncService;
  orthancStudies: OrthancStudyIndex;
  reconcileSoon(): void;
  /** Resolves when the image source answers (Orthanc `GET /system`) within its timeout. */
  checkSource(): Promise<void>;
  fhirVersion: FhirVersion;
  /** When set, every ImagingStudy request needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** When unset the webhook routes answer 503. */
  webhookSecret?: string;
  logger: Logger;
  /** The outbox of the external FHIR server, when the bridge publishes to one (`/readyz`, `/push/status`). */
  push?: { status(): PushOutboxStatus };
  /** Conditions of `/readyz` beyond the image source, the store's ping, failed syncs and the outbox (see routes/health.ts). */
  readiness?: readonly ReadinessCheck[];
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

function send(res: Response, [outcome, body, headers]: FhirResponse, contentType: string): void {
  const status = getStatus(outcome);
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
  /** Bearer token this route requires, when configured. */
  token?: string;
}

function route(handler: (req: FhirRequest) => Promise<FhirResponse>, options: RouteOptions = {}): RequestHandler {
  return async (req, res) => {
    const fhirRequest = toFhirRequest(req);
    if (options.token !== undefined) requireBearer(fhirRequest.headers.authorization, options.token);
    checkFormat(first(fhirRequest.query._format));
    send(res, await handler(fhirRequest), options.contentType ?? FHIR_JSON);
  };
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
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    send(res, [outcome, undefined, headers], FHIR_JSON);
  };
}

export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(deps.logger));
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
  const api = { token: deps.apiToken };

  app.get('/healthz', route(() => healthz(), { contentType: JSON_CONTENT }));
  app.get('/readyz', route(() => readyz(deps), { contentType: JSON_CONTENT }));
  const push = deps.push;
  if (push !== undefined) app.get('/push/status', route(() => pushStatus(push), { ...api, contentType: JSON_CONTENT }));
  app.get('/metadata', route((req) => capabilities(req, { fhirVersion: deps.fhirVersion, requiresToken: deps.apiToken !== undefined, startedAt })));
  app.get('/ImagingStudy', route((req) => searchImagingStudy(req, readDeps), api));
  app.get('/ImagingStudy/:id', route((req) => readImagingStudy(req, readDeps), api));
  app.post('/orthanc/stable-study', webhookBody, route((req) => stableStudyWebhook(req, webhookDeps)));
  app.post('/orthanc/deleted-study', webhookBody, route((req) => deletedStudyWebhook(req, webhookDeps)));
  app.use(() => {
    throw new OperationOutcomeError(notFound);
  });
  app.use(errorHandler(deps.logger));
  return app;
}
