/**
 * Writes a route's audit line when its answer is done, whatever the answer was (200, 304, 401,
 * 403, 404, 500): the principal from the access guard, the studies `send` put in the body.
 */
import type { RequestHandler, Response } from 'express';
import { principalName } from '../auth/authorizer.js';
import { accessRecord } from '../auth/guard.js';
import type { AuditAction, AuditLog } from './audit-log.js';

const STUDIES = Symbol('dicom2fhir.auditStudies');

/** The ids of the ImagingStudy resources in an answer's body: the resource itself or a Bundle's entries. */
export function studiesIn(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const resource = body as { resourceType?: unknown; id?: unknown; entry?: unknown };
  if (resource.resourceType === 'ImagingStudy') return typeof resource.id === 'string' ? [resource.id] : [];
  if (resource.resourceType !== 'Bundle' || !Array.isArray(resource.entry)) return [];
  const ids = new Set<string>();
  for (const entry of resource.entry as Array<{ resource?: { resourceType?: unknown; id?: unknown } }>) {
    if (entry.resource?.resourceType === 'ImagingStudy' && typeof entry.resource.id === 'string') ids.add(entry.resource.id);
  }
  return [...ids];
}

/**
 * Names of the search parameters of the query string and, for `POST _search`, of the form body
 * (read as text by then); never their values.
 */
function parameterNames(url: string, body: unknown): string[] {
  const names = new Set(new URL(url, 'http://localhost').searchParams.keys());
  if (typeof body === 'string') for (const name of new URLSearchParams(body).keys()) names.add(name);
  return [...names];
}

/** Called by the sender with the body it is about to write. */
export function noteAnsweredStudies(res: Response, body: unknown): void {
  (res.locals as { [STUDIES]?: string[] })[STUDIES] = studiesIn(body);
}

/**
 * @param parameters whether the query's parameter names belong in the line (searches).
 */
export function auditTrail(audit: AuditLog, action: AuditAction, parameters = false): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    res.once('close', () => {
      const names = parameters ? parameterNames(req.originalUrl, req.body) : undefined;
      const { principal, refused } = accessRecord(res);
      const client = principal?.kind === 'oauth' ? principal.clientId : undefined;
      audit.record({
        who: principal === undefined ? 'anonymous' : principalName(principal),
        ...(client === undefined ? {} : { client }),
        action,
        path: `${req.method} ${path}`,
        studies: (res.locals as { [STUDIES]?: string[] })[STUDIES] ?? [],
        ...(names === undefined ? {} : { parameters: names }),
        outcome: res.statusCode,
        ...(refused === undefined ? {} : { reason: refused }),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    next();
  };
}
