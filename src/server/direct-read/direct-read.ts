/**
 * The direct path of `GET /ImagingStudy/{id}` (FHIR R4 §3.1.0.2 read), a `node:http` step run
 * before Express: it sends a stored study's JSON as the store holds it — no parse, no
 * re-serialization, no routing — with the same status, headers and bytes as the routed handler
 * (`routes/read.ts` through `express.ts`, whose body is `JSON.stringify` of the parsed text, that
 * is the text itself).
 *
 * It answers only a request it can answer alike: see `target.ts`, credentials the authorizer admits
 * without I/O (the API token, no credentials where allowed, an access token verified moments ago), no
 * `If-Modified-Since` without `If-None-Match` (Express' own freshness check answers that one),
 * and a live stored study. It returns false for everything else, leaving the answer to Express:
 * 400, 401, 404 after an on-demand conversion, 410, and 500 when the store fails (logged here too).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { StudyStore } from '../../bridge/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import { principalName, type Authorizer, type Principal } from '../auth/authorizer.js';
import { errorText } from '../error-text.js';
import { acceptsJson, FHIR_JSON } from '../format.js';
import { PHI_HEADERS } from '../phi-headers.js';
import type { RequestLog } from '../request-log.js';
import { matchesIfNoneMatch, versionHeaders } from '../routes/read.js';
import type { StudyText, StudyTextCache } from './study-text-cache.js';
import { directReadId } from './target.js';

export interface DirectReadDeps {
  store: Pick<StudyStore, 'getJson' | 'getVersion'>;
  /** Decides without I/O; a request it cannot admit at once is left to Express (401, 403, token check). */
  authorizer: Pick<Authorizer, 'authorizeNow'>;
  /** Each answer of this path writes its audit line here, as the routed read does. */
  audit: Pick<AuditLog, 'record'>;
  /** Studies already read, checked against the current version on every request. */
  cache?: StudyTextCache;
  logger: Logger;
  requestLog: RequestLog;
}

/** Answers the request and returns true, or returns false without touching the response. */
export type DirectRead = (req: IncomingMessage, res: ServerResponse) => boolean;

function readStored(store: DirectReadDeps['store'], id: string): StudyText | undefined {
  const stored = store.getJson(id);
  // A stale version (another FHIR version or converter schema) is left to the router, which converts it again.
  if (stored === undefined || stored.deleted || stored.json === undefined || stored.stale === true) return undefined;
  return { versionId: stored.versionId, headers: versionHeaders(stored), body: stored.json };
}

function readCached(store: DirectReadDeps['store'], cache: StudyTextCache, id: string): StudyText | undefined {
  const current = store.getVersion(id);
  if (current === undefined || current.deleted) {
    cache.delete(id);
    return undefined;
  }
  const cached = cache.get(id, current.versionId);
  if (cached !== undefined) return cached;
  const text = readStored(store, id);
  if (text !== undefined) cache.set(id, text);
  return text;
}

function hasFormatParameter(url: string | undefined): boolean {
  const queryStart = url?.indexOf('?') ?? -1;
  return queryStart !== -1 && new URLSearchParams((url as string).slice(queryStart + 1)).has('_format');
}

export function createDirectRead(deps: DirectReadDeps): DirectRead {
  const { store, cache, logger, requestLog } = deps;

  function studyText(id: string, path: string): StudyText | undefined {
    try {
      return cache === undefined ? readStored(store, id) : readCached(store, cache, id);
    } catch (error) {
      // Express reads the store again and answers the failure as a 500 OperationOutcome.
      logger.error({ path, error: errorText(error) }, 'direct read failed; left to the router');
      return undefined;
    }
  }

  function audited(principal: Principal, path: string, studies: string[], outcome: number): void {
    const client = principal.kind === 'oauth' ? principal.clientId : undefined;
    deps.audit.record({ who: principalName(principal), ...(client === undefined ? {} : { client }), action: 'read', path, studies, outcome });
  }

  return (req, res) => {
    const id = directReadId(req.method, req.url);
    if (id === undefined) return false;
    const principal = deps.authorizer.authorizeNow(req.headers.authorization, 'read');
    if (principal === undefined) return false;
    // An Accept without JSON (and no `_format`, which overrides it) is Express' 406.
    if (!acceptsJson(req.headers.accept) && !hasFormatParameter(req.url)) return false;
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch === undefined && req.headers['if-modified-since'] !== undefined) return false;
    const path = `/ImagingStudy/${id}`;
    const text = studyText(id, path);
    if (text === undefined) return false;
    requestLog(req.method as string, path, res);
    if (matchesIfNoneMatch(ifNoneMatch, text.versionId)) {
      audited(principal, `${req.method} ${path}`, [], 304);
      res.writeHead(304, { ...text.headers, ...PHI_HEADERS });
      res.end();
      return true;
    }
    audited(principal, `${req.method} ${path}`, [id], 200);
    res.writeHead(200, { ...text.headers, ...PHI_HEADERS, 'Content-Type': FHIR_JSON, 'Content-Length': text.body.length });
    if (req.method === 'HEAD') res.end();
    else res.end(text.body);
    return true;
  };
}
