/**
 * The bridge's HTTP request listener: the direct read of stored studies first, Express for every
 * request it leaves (see `direct-read/direct-read.ts`). Serve it with `createHttpServer` (its timeouts).
 */
import type { RequestListener } from 'node:http';
import { StudyTextCache } from './direct-read/study-text-cache.js';
import { createDirectRead } from './direct-read/direct-read.js';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import type { Authorizer } from './auth/authorizer.js';
import { authorizerOf, createHttpApp, type HttpAppDeps } from './express.js';
import { createRequestLog } from './request-log.js';

export interface HttpListenerOptions {
  /** Budget of the direct read's cache of study texts; 0 reads every study from the store. */
  studyTextCacheBytes?: number;
}

export function createHttpListener(given: HttpAppDeps, options: HttpListenerOptions = {}): RequestListener {
  // One authorizer (its memory of verified tokens) and one audit log for both paths.
  const deps: HttpAppDeps = { ...given, authorizer: authorizerOf(given), audit: given.audit ?? createAuditLog({ logger: given.logger }) };
  const app = createHttpApp(deps);
  const cacheBytes = options.studyTextCacheBytes;
  const directRead = createDirectRead({
    store: deps.store,
    authorizer: deps.authorizer as Authorizer,
    audit: deps.audit as AuditLog,
    ...(cacheBytes === 0 ? {} : { cache: new StudyTextCache(cacheBytes) }),
    logger: deps.logger,
    requestLog: createRequestLog(deps.logger),
  });
  return (req, res) => {
    if (!directRead(req, res)) app(req, res);
  };
}
