/**
 * The bridge's HTTP request listener: the direct read of stored studies first, Express for every
 * request it leaves (see `direct-read/direct-read.ts`). Serve it with `http.createServer`.
 */
import type { RequestListener } from 'node:http';
import { StudyTextCache } from './direct-read/study-text-cache.js';
import { createDirectRead } from './direct-read/direct-read.js';
import { createHttpApp, type HttpAppDeps } from './express.js';
import { createRequestLog } from './request-log.js';

export interface HttpListenerOptions {
  /** Budget of the direct read's cache of study texts; 0 reads every study from the store. */
  studyTextCacheBytes?: number;
}

export function createHttpListener(deps: HttpAppDeps, options: HttpListenerOptions = {}): RequestListener {
  const app = createHttpApp(deps);
  const cacheBytes = options.studyTextCacheBytes;
  const directRead = createDirectRead({
    store: deps.store,
    ...(deps.apiToken === undefined ? {} : { apiToken: deps.apiToken }),
    ...(cacheBytes === 0 ? {} : { cache: new StudyTextCache(cacheBytes) }),
    logger: deps.logger,
    requestLog: createRequestLog(deps.logger),
  });
  return (req, res) => {
    if (!directRead(req, res)) app(req, res);
  };
}
