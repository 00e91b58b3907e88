/**
 * The one gate every protected route goes through: `accessGuard(authorizer, 'admin')` in front of
 * an admin endpoint, `'read'` or `'search'` in front of the FHIR interactions. The principal it
 * admits (or the one it refused for lack of scope) is left on the response for the audit line.
 */
import type { RequestHandler, Response } from 'express';
import { AccessDeniedError, type Authorizer, type Principal } from './authorizer.js';
import type { Access } from './scopes.js';

/** What the guard learnt about a request, read by the audit trail. */
export interface AccessRecord {
  principal?: Principal;
  /** `invalid_token`, `insufficient_scope` or `no_credentials` when refused. */
  refused?: string;
}

const RECORD = Symbol('dicom2fhir.access');

export function accessRecord(res: Response): AccessRecord {
  const locals = res.locals as { [RECORD]?: AccessRecord };
  return (locals[RECORD] ??= {});
}

function refusalOf(error: AccessDeniedError): string {
  return /error="([a-z_]+)"/.exec(error.challenge)?.[1] ?? 'no_credentials';
}

export function accessGuard(authorizer: Authorizer, access: Access): RequestHandler {
  return async (req, res, next) => {
    const record = accessRecord(res);
    try {
      record.principal = await authorizer.authorize(req.get('authorization'), access);
    } catch (error) {
      if (error instanceof AccessDeniedError) {
        if (error.principal !== undefined) record.principal = error.principal;
        record.refused = refusalOf(error);
      }
      throw error;
    }
    next();
  };
}
